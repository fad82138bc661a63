package io.llmpipe.retrieval.store;

import io.llmpipe.retrieval.embed.Embedder;
import io.llmpipe.retrieval.rerank.Sentences;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits documents into passages and embeds, in batches, what the search and the reranker's views
 * read: each passage, each sentence of a passage that has several, and each title.
 */
public final class DocumentEmbedder {
    private static final int BATCH = 64;

    private final Embedder embedder;

    public DocumentEmbedder(Embedder embedder) {
        this.embedder = embedder;
    }

    public Embedder embedder() {
        return embedder;
    }

    public List<PreparedDocument> prepare(List<Document> documents, int passageTokens) {
        Chunker chunker = new Chunker(Math.min(passageTokens, embedder.maxTokens()), embedder::countTokens);
        List<String> texts = new ArrayList<>();
        record Plan(Document document, List<String> chunks, List<List<String>> sentences, int first) {
        }
        List<Plan> plans = new ArrayList<>(documents.size());
        for (Document d : documents) {
            int first = texts.size();
            List<String> chunks = chunker.split(d.text());
            List<List<String>> sentences = new ArrayList<>(chunks.size());
            texts.addAll(chunks);
            for (String chunk : chunks) {
                List<String> s = Sentences.of(chunk);
                s = s.size() > 1 ? s : List.of();
                sentences.add(s);
                texts.addAll(s);
            }
            if (d.title() != null) {
                texts.add(d.title());
            }
            plans.add(new Plan(d, chunks, sentences, first));
        }
        float[][] vectors = embed(texts);
        List<PreparedDocument> out = new ArrayList<>(documents.size());
        for (Plan plan : plans) {
            int at = plan.first();
            float[][] chunkVectors = new float[plan.chunks().size()][];
            float[][][] sentenceVectors = new float[plan.chunks().size()][][];
            for (int c = 0; c < chunkVectors.length; c++) {
                chunkVectors[c] = vectors[at++];
            }
            for (int c = 0; c < chunkVectors.length; c++) {
                sentenceVectors[c] = new float[plan.sentences().get(c).size()][];
                for (int s = 0; s < sentenceVectors[c].length; s++) {
                    sentenceVectors[c][s] = vectors[at++];
                }
            }
            float[] title = plan.document().title() != null ? vectors[at] : null;
            List<Passage> passages = new ArrayList<>(chunkVectors.length);
            for (int c = 0; c < chunkVectors.length; c++) {
                passages.add(new Passage(plan.document().id(), c, plan.chunks().get(c), chunkVectors[c], sentenceVectors[c], title));
            }
            out.add(new PreparedDocument(plan.document(), passages));
        }
        return out;
    }

    private float[][] embed(List<String> texts) {
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += BATCH) {
            int to = Math.min(texts.size(), from + BATCH);
            float[][] batch = embedder.embed(texts.subList(from, to));
            System.arraycopy(batch, 0, out, from, batch.length);
        }
        return out;
    }
}
