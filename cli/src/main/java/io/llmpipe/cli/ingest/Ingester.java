package io.llmpipe.cli.ingest;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Sends a corpus to a {@link DocumentSink} in batches, losing nothing: lines that cannot be parsed are reported, a
 * batch the service refuses is resent one document at a time so only the documents it refuses are reported, and
 * a failing service is retried with backoff before the ingest stops and says where to resume. Prints nothing; the
 * caller gets an {@link IngestSummary} and a callback after every batch. One thread; one run per instance.
 */
public final class Ingester {

    /** Bad lines kept in full for the report; the rest are only counted (a broken file may have millions). */
    public static final int REPORTED_BAD_LINES = 20;

    /** How often and how patiently a failing request is retried: {@code retries} more tries, waits doubling. */
    public record RetryPolicy(int retries, Duration firstDelay) {
        public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofSeconds(1));
    }

    /** Called after each batch with the totals so far. */
    @FunctionalInterface
    public interface Progress {
        void batchDone(long upserted, long chunks, long badLines);
    }

    private final DocumentSink sink;
    private final RetryPolicy retry;
    private final List<BadLine> firstBadLines = new ArrayList<>();
    private long badLineCount;
    private long upserted;
    private long chunks;

    public Ingester(DocumentSink sink, RetryPolicy retry) {
        this.sink = sink;
        this.retry = retry;
    }

    public IngestSummary run(JsonlDocumentReader reader, int batchSize, Progress progress) throws IOException {
        long start = System.nanoTime();
        while (true) {
            JsonlDocumentReader.Batch batch = reader.nextBatch(batchSize);
            if (batch.isEmpty()) {
                return summary(start, null);
            }
            List<BadLine> bad = new ArrayList<>(batch.badLines());
            IngestSummary.Stop stop = send(batch, bad);
            // Bad lines at or after the resume line will be read again when the user resumes: report them then.
            bad.stream()
                    .filter(b -> stop == null || b.line() < stop.resumeLine())
                    .sorted(Comparator.comparingLong(BadLine::line))
                    .forEach(this::recordBad);
            progress.batchDone(upserted, chunks, badLineCount);
            if (stop != null) {
                return summary(start, stop);
            }
        }
    }

    /** Sends a batch; a refused one document by document. Adds refused documents to {@code bad}; null unless stopped. */
    private IngestSummary.Stop send(JsonlDocumentReader.Batch batch, List<BadLine> bad) {
        if (batch.documents().isEmpty()) {
            return null;
        }
        try {
            add(upsertRetrying(batch.documents()));
            return null;
        } catch (DocumentSink.Unavailable e) {
            return new IngestSummary.Stop(batch.firstLine(), e.getMessage());
        } catch (DocumentSink.Refused e) {
            if (refusesEverything(e)) {
                return new IngestSummary.Stop(batch.firstLine(), e.reason());
            }
        }
        for (IngestDocument document : batch.documents()) {
            try {
                add(upsertRetrying(List.of(document)));
            } catch (DocumentSink.Unavailable e) {
                return new IngestSummary.Stop(document.line(), e.getMessage());
            } catch (DocumentSink.Refused e) {
                if (refusesEverything(e)) {
                    return new IngestSummary.Stop(document.line(), e.reason());
                }
                bad.add(new BadLine(document.line(), e.reason()));
            }
        }
        return null;
    }

    /** Refusals about the request as a whole (no such collection, not allowed) would refuse every document alike. */
    private static boolean refusesEverything(DocumentSink.Refused e) {
        return e.status() == 401 || e.status() == 403 || e.status() == 404;
    }

    private DocumentSink.Upserted upsertRetrying(List<IngestDocument> documents) throws DocumentSink.Refused, DocumentSink.Unavailable {
        Duration delay = retry.firstDelay();
        for (int attempt = 0; ; attempt++) {
            try {
                return sink.upsert(documents);
            } catch (DocumentSink.Unavailable e) {
                if (attempt == retry.retries()) {
                    throw new DocumentSink.Unavailable(e.getMessage() + " (tried " + (attempt + 1) + " times)", e);
                }
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DocumentSink.Unavailable("interrupted while waiting to retry", e);
            }
            delay = delay.multipliedBy(2);
        }
    }

    private void add(DocumentSink.Upserted answer) {
        upserted += answer.upserted();
        chunks += answer.chunks();
    }

    private void recordBad(BadLine line) {
        badLineCount++;
        if (firstBadLines.size() < REPORTED_BAD_LINES) {
            firstBadLines.add(line);
        }
    }

    private IngestSummary summary(long start, IngestSummary.Stop stop) {
        return new IngestSummary(upserted, chunks, badLineCount, List.copyOf(firstBadLines), System.nanoTime() - start, stop);
    }
}
