package io.llmpipe.cli.ingest;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Reads a JSONL corpus line by line and hands out batches of documents together with the bad
 * lines met while filling them. Blank lines are passed over; the first {@code skipLines} lines are not parsed at all
 * (resuming an ingest that stopped). Each line is decoded as UTF-8 on its own, so one badly encoded line is reported
 * instead of ending the read. One thread at a time; closing it closes the stream.
 */
public final class JsonlDocumentReader implements AutoCloseable {

    /** Documents of a batch, the bad lines read while collecting them, and the input lines it covers. */
    public record Batch(List<IngestDocument> documents, List<BadLine> badLines, long firstLine, long lastLine) {

        /** True at the end of the input: no lines were left to read. */
        public boolean isEmpty() {
            return firstLine > lastLine;
        }
    }

    private final InputStream in;
    private final long skipLines;
    private final DocumentLineParser parser = new DocumentLineParser();
    private final ByteArrayOutputStream lineBytes = new ByteArrayOutputStream();
    private long linesRead;

    private static final int BUFFER_BYTES = 1 << 16;

    /** A reader of {@code raw}, plain or gzip (told by gzip's magic bytes, whatever the file is called). */
    public static JsonlDocumentReader open(InputStream raw, long skipLines) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, BUFFER_BYTES);
        in.mark(2);
        int b0 = in.read(), b1 = in.read();
        in.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        return new JsonlDocumentReader(gzip ? new BufferedInputStream(new GZIPInputStream(in, BUFFER_BYTES), BUFFER_BYTES) : in, skipLines);
    }

    /** {@code in} should be buffered; it is read byte by byte. */
    public JsonlDocumentReader(InputStream in, long skipLines) {
        if (skipLines < 0) {
            throw new IllegalArgumentException("lines to skip must be 0 or more, not " + skipLines);
        }
        this.in = in;
        this.skipLines = skipLines;
    }

    /** Lines consumed so far, skipped ones included: the {@code --skip} value that resumes after them. */
    public long linesRead() {
        return linesRead;
    }

    /** The next lines, until {@code maxDocuments} documents were found or the input ended. */
    public Batch nextBatch(int maxDocuments) throws IOException {
        if (maxDocuments < 1) {
            throw new IllegalArgumentException("a batch holds at least one document, not " + maxDocuments);
        }
        List<IngestDocument> documents = new ArrayList<>();
        List<BadLine> bad = new ArrayList<>();
        long first = linesRead + 1;
        while (documents.size() < maxDocuments) {
            byte[] line = readLine();
            if (line == null) {
                break;
            }
            if (linesRead <= skipLines) {
                first = linesRead + 1;
                continue;
            }
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(line)).toString();
            } catch (CharacterCodingException e) {
                bad.add(new BadLine(linesRead, "not valid UTF-8"));
                continue;
            }
            if (text.isBlank()) {
                continue;
            }
            switch (parser.parse(text, linesRead)) {
                case IngestDocument d -> documents.add(d);
                case BadLine b -> bad.add(b);
            }
        }
        return new Batch(List.copyOf(documents), List.copyOf(bad), first, linesRead);
    }

    /** The next line without its terminator ({@code \n} or {@code \r\n}), or null at the end of the input. */
    private byte[] readLine() throws IOException {
        lineBytes.reset();
        int b;
        boolean any = false;
        while ((b = in.read()) != -1) {
            any = true;
            if (b == '\n') {
                break;
            }
            lineBytes.write(b);
        }
        if (!any) {
            return null;
        }
        linesRead++;
        byte[] line = lineBytes.toByteArray();
        int length = line.length;
        if (length > 0 && line[length - 1] == '\r') {
            return java.util.Arrays.copyOf(line, length - 1);
        }
        return line;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
