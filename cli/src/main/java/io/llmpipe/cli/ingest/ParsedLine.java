package io.llmpipe.cli.ingest;

/** What one non-blank line of a JSONL corpus is: a document to send, or a line that cannot be sent and why. */
public sealed interface ParsedLine permits IngestDocument, BadLine {

    /** 1-based line number in the input file, counting blank and skipped lines. */
    long line();
}
