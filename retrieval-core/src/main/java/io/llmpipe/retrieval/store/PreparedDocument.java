package io.llmpipe.retrieval.store;

import java.util.List;

/** A document split into passages and embedded, ready to be written to a collection. */
public record PreparedDocument(Document document, List<Passage> passages) {
}
