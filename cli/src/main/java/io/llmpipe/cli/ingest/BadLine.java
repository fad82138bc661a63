package io.llmpipe.cli.ingest;

/** A line that was not ingested: its 1-based line number and the reason, for the user to fix and resend. */
public record BadLine(long line, String reason) implements ParsedLine {
}
