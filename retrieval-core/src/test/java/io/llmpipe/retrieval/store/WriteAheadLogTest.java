package io.llmpipe.retrieval.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Records come back in order after a reopen; every kind of torn or damaged tail is cut off and appending goes on. */
class WriteAheadLogTest {
    @TempDir
    Path dir;

    private static ByteBuffer record(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> replay(Path log) throws IOException {
        List<String> out = new ArrayList<>();
        try (WriteAheadLog wal = WriteAheadLog.open(log, b -> {
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            out.add(new String(bytes, StandardCharsets.UTF_8));
        })) {
            return out;
        }
    }

    private Path logWith(String... records) throws IOException {
        Path log = dir.resolve("wal.log");
        try (WriteAheadLog wal = WriteAheadLog.open(log, b -> { })) {
            for (String r : records) {
                wal.append(record(r));
            }
        }
        return log;
    }

    @Test
    void replaysWhatWasAppendedInOrder() throws IOException {
        Path log = logWith("one", "two", "", "three");
        assertEquals(List.of("one", "two", "", "three"), replay(log));
        try (WriteAheadLog wal = WriteAheadLog.open(log, b -> { })) {
            wal.append(record("four"));
        }
        assertEquals(List.of("one", "two", "", "three", "four"), replay(log));
    }

    @Test
    void aRecordCutShortIsCutOffAndKept() throws IOException {
        Path log = logWith("first", "second record");
        long whole = Files.size(log);
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
            f.setLength(whole - 4);
        }
        assertEquals(List.of("first"), replay(log));
        assertEquals(8 + 5, Files.size(log));
        try (var torn = Files.list(dir)) {
            assertTrue(torn.anyMatch(p -> p.getFileName().toString().endsWith(".torn")));
        }
        try (WriteAheadLog wal = WriteAheadLog.open(log, b -> { })) {
            wal.append(record("after"));
        }
        assertEquals(List.of("first", "after"), replay(log));
    }

    @Test
    void aHalfWrittenHeaderIsCutOff() throws IOException {
        Path log = logWith("first");
        Files.write(log, new byte[]{0, 0, 0}, java.nio.file.StandardOpenOption.APPEND);
        assertEquals(List.of("first"), replay(log));
        assertEquals(8 + 5, Files.size(log));
    }

    @Test
    void aDamagedRecordEndsTheLog() throws IOException {
        Path log = logWith("first", "second", "third");
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "rw")) {
            f.seek(8 + 5 + 8 + 2); // inside "second"
            f.write('X');
        }
        assertEquals(List.of("first"), replay(log));
    }

    @Test
    void anAbsurdLengthIsRecognised() throws IOException {
        Path log = logWith("first");
        Files.write(log, new byte[]{0x7f, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        assertEquals(List.of("first"), replay(log));
    }
}
