package io.llmpipe.retrieval.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * An append-only log of records, each framed as {@code [length:int][crc32c:int][payload]} and forced to
 * disk before {@link #append} returns, so an acknowledged change survives a crash or kill -9.
 *
 * <p>{@link #open} replays the log: the first frame whose header or payload is incomplete or whose
 * checksum does not match ends it. A crash mid-append leaves exactly such a torn tail; it is cut off
 * (its bytes kept beside the log in {@code *.torn} for inspection) and appending resumes after the last
 * whole record. Not thread-safe: the collection serialises its writes.
 */
public final class WriteAheadLog implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(WriteAheadLog.class.getName());
    private static final int HEADER = 8;
    /** A bound on one record, so a corrupt length is recognised rather than allocated. */
    public static final int MAX_RECORD = 256 << 20;

    private final Path path;
    private final FileChannel channel;
    private long size;

    private WriteAheadLog(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    /** Opens (creating if needed) the log at {@code path}, hands every whole record to {@code replay} in order. */
    public static WriteAheadLog open(Path path, Consumer<ByteBuffer> replay) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long fileSize = channel.size();
            long position = 0;
            ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.BIG_ENDIAN);
            String torn = null;
            while (position < fileSize) {
                if (fileSize - position < HEADER) {
                    torn = "an incomplete record header";
                    break;
                }
                header.clear();
                readFully(channel, header, position);
                header.flip();
                int length = header.getInt();
                int crc = header.getInt();
                if (length < 0 || length > MAX_RECORD) {
                    torn = "a record length of " + length;
                    break;
                }
                if (fileSize - position - HEADER < length) {
                    torn = "a record cut short (" + (fileSize - position - HEADER) + " of " + length + " bytes)";
                    break;
                }
                ByteBuffer payload = ByteBuffer.allocate(length);
                readFully(channel, payload, position + HEADER);
                payload.flip();
                if (checksum(payload) != crc) {
                    torn = "a checksum mismatch";
                    break;
                }
                replay.accept(payload.asReadOnlyBuffer());
                position += HEADER + length;
            }
            if (torn != null) {
                Path kept = path.resolveSibling(path.getFileName() + "." + System.currentTimeMillis() + ".torn");
                try (FileChannel out = FileChannel.open(kept, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    channel.transferTo(position, fileSize - position, out);
                    out.force(true);
                }
                LOG.warning(path + ": " + torn + " at byte " + position + " ends the log; the " + (fileSize - position)
                        + " bytes from there (a write a crash interrupted) are cut off and kept in " + kept.getFileName());
                channel.truncate(position);
                channel.force(true);
            }
            return new WriteAheadLog(path, channel, position);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Appends one record and forces it to disk. */
    public void append(ByteBuffer payload) throws IOException {
        int length = payload.remaining();
        if (length > MAX_RECORD) {
            throw new IllegalArgumentException("a log record of " + length + " bytes exceeds " + MAX_RECORD);
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER).putInt(length).putInt(checksum(payload.duplicate())).flip();
        long at = size;
        try {
            writeFully(header, at);
            writeFully(payload, at + HEADER);
            channel.force(false);
        } catch (IOException e) {
            // leave no half record behind for the next append to follow
            channel.truncate(at);
            throw e;
        }
        size = at + HEADER + length;
    }

    /** Bytes in the log. */
    public long size() {
        return size;
    }

    /** Empties the log: called once a snapshot holds everything it recorded. */
    public void clear() throws IOException {
        channel.truncate(0);
        channel.force(true);
        size = 0;
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void writeFully(ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            position += n;
        }
    }

    private static int checksum(ByteBuffer payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload.duplicate());
        return (int) crc.getValue();
    }

    /** Writes {@code bytes} to {@code target} so that a crash leaves either the old file or the new one. */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            out.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(target.getParent());
    }

    /** Makes a rename or a new file in {@code dir} durable (Linux: fsync of the directory). */
    public static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems refuse to open a directory; the rename is then as durable as they make it
        }
    }
}
