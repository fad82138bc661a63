package io.llmpipe.cli.ingest;

import java.util.List;

/**
 * What an ingest did. {@code firstBadLines} holds the first {@link Ingester#REPORTED_BAD_LINES} of
 * {@code badLineCount} bad lines. {@code stop} is null when the whole input was read.
 */
public record IngestSummary(long upserted, long chunks, long badLineCount, List<BadLine> firstBadLines, long nanos,
                            Stop stop) {

    /**
     * Why the ingest ended before the input did, and where to resume: every line before {@code resumeLine} was
     * ingested or reported bad; {@code --skip (resumeLine - 1)} picks up from there.
     */
    public record Stop(long resumeLine, String message) {
    }

    public double seconds() {
        return nanos / 1e9;
    }

    public double documentsPerSecond() {
        return nanos == 0 ? 0 : upserted / seconds();
    }

    public boolean complete() {
        return stop == null;
    }
}
