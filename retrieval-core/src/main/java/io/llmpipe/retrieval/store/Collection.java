package io.llmpipe.retrieval.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llmpipe.retrieval.hnsw.HnswIndex;
import io.llmpipe.retrieval.hnsw.HnswParameters;
import io.llmpipe.retrieval.hnsw.SearchHit;
import io.llmpipe.retrieval.hnsw.Similarity;
import io.llmpipe.retrieval.rerank.LexicalIndex;
import io.llmpipe.retrieval.rerank.Reranker;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A durable collection: documents, their passages, the HNSW index over the passages and the lexical
 * statistics the reranker reads.
 *
 * <p>Durability: every change is a record in a {@link WriteAheadLog}, forced to disk before the change
 * is applied and acknowledged. When the log grows past a bound the whole state is written as a snapshot
 * (to a temporary file, forced, renamed over the last one) and the log is emptied. Opening loads the
 * snapshot, checking its checksum, and replays the log records after it; records carry sequence numbers,
 * so a crash between the rename and the log's truncation replays nothing twice.
 *
 * <p>Thread-safe: changes serialise on a write lock; searches share a read lock. Embedding, the slow
 * part of an upsert, happens before (see {@link DocumentEmbedder}) and holds no lock.
 */
public final class Collection implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOGGER = Logger.getLogger(Collection.class.getName());
    private static final String CONFIG = "collection.json";
    private static final String SNAPSHOT = "snapshot.bin";
    private static final String LOG = "wal.log";
    private static final int SNAPSHOT_MAGIC = 0x4c505253; // "LPRS"
    private static final int SNAPSHOT_VERSION = 1;
    private static final byte UPSERT = 1;
    private static final byte DELETE = 2;
    /** Fewest deleted passages worth rebuilding the index for. */
    static final int COMPACT_MIN_DEAD = 1024;
    /** The log is folded into a snapshot past this size. */
    public static final long DEFAULT_SNAPSHOT_BYTES = 64L << 20;

    /** A document as stored: what the user gave and the ordinals of its passages in the index. */
    public record StoredDocument(Document document, int[] ordinals) {
    }

    /** A search result: the passage, its document's metadata, its similarity to the query. */
    public record Hit(int ordinal, Passage passage, Map<String, Object> metadata, float score) {
    }

    public record UpsertResult(int documents, int passages) {
    }

    private final Path dir;
    private final CollectionConfig config;
    private final long snapshotBytes;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private HnswIndex index;
    private List<Passage> passages = new ArrayList<>(); // by ordinal; null once deleted
    private Map<String, StoredDocument> documents = new HashMap<>();
    private LexicalIndex lexical = new LexicalIndex();
    private long sequence;
    private WriteAheadLog log;
    private boolean closed;

    private Collection(Path dir, CollectionConfig config, long snapshotBytes) {
        this.dir = dir;
        this.config = config;
        this.snapshotBytes = snapshotBytes;
        this.index = new HnswIndex(config.dimension(), config.similarity(), config.hnsw());
    }

    /** Creates the collection's directory (which must not exist) and opens it empty. */
    public static Collection create(Path dir, CollectionConfig config, long snapshotBytes) throws IOException {
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        // Built beside and renamed into place: a crash never leaves a collection without its config.
        Path staging = parent.resolve(".creating-" + dir.getFileName());
        deleteRecursively(staging);
        Files.createDirectory(staging);
        WriteAheadLog.writeAtomically(staging.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(configJson(config)));
        Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        WriteAheadLog.forceDirectory(parent);
        return open(dir, snapshotBytes);
    }

    /** Opens an existing collection: its snapshot, then its log. */
    public static Collection open(Path dir, long snapshotBytes) throws IOException {
        CollectionConfig config = readConfig(dir.resolve(CONFIG));
        Collection c = new Collection(dir, config, snapshotBytes);
        Path snapshot = dir.resolve(SNAPSHOT);
        if (Files.exists(snapshot)) {
            c.readSnapshot(snapshot);
        }
        c.log = WriteAheadLog.open(dir.resolve(LOG), c::replay);
        return c;
    }

    public CollectionConfig config() {
        return config;
    }

    public Path directory() {
        return dir;
    }

    public int documentCount() {
        lock.readLock().lock();
        try {
            return documents.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    public int passageCount() {
        return read(() -> index.liveCount());
    }

    /** Passages in the graph, deleted ones (still routing searches until a compaction) included. */
    public int indexedCount() {
        return read(() -> index.size());
    }

    /** The lexical statistics of the live passages, keyed by ordinal (the multi-view reranker's lexical view). */
    public LexicalIndex lexical() {
        return read(() -> lexical);
    }

    /** Writes documents (replacing any with the same id) durably, then makes them searchable. */
    public UpsertResult upsert(List<PreparedDocument> prepared) throws IOException {
        for (PreparedDocument p : prepared) {
            for (Passage passage : p.passages()) {
                if (passage.vector().length != config.dimension()) {
                    throw new IllegalArgumentException("passage vectors of collection '" + config.name() + "' have "
                            + config.dimension() + " dimensions, got " + passage.vector().length);
                }
            }
        }
        lock.writeLock().lock();
        try {
            ensureOpen();
            long seq = sequence + 1;
            log.append(encodeUpsert(seq, prepared));
            int count = applyUpsert(seq, prepared);
            maybeSnapshot();
            return new UpsertResult(prepared.size(), count);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Deletes the documents with these ids durably; returns how many existed. */
    public int delete(List<String> ids) throws IOException {
        lock.writeLock().lock();
        try {
            ensureOpen();
            List<String> present = ids.stream().distinct().filter(documents::containsKey).toList();
            if (present.isEmpty()) {
                return 0;
            }
            long seq = sequence + 1;
            log.append(encodeDelete(seq, present));
            applyDelete(seq, present);
            maybeSnapshot();
            return present.size();
        } finally {
            lock.writeLock().unlock();
        }
    }

    public Optional<StoredDocument> document(String id) {
        lock.readLock().lock();
        try {
            return Optional.ofNullable(documents.get(id));
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The {@code k} passages nearest the vector among those whose document's metadata passes the filter. */
    public List<Hit> search(float[] vector, int k, int ef, MetadataFilter filter) {
        if (vector.length != config.dimension()) {
            throw new IllegalArgumentException("collection '" + config.name() + "' holds vectors of " + config.dimension()
                    + " dimensions, the query has " + vector.length);
        }
        lock.readLock().lock();
        try {
            ensureOpen();
            List<Passage> byOrdinal = passages;
            Map<String, StoredDocument> docs = documents;
            List<SearchHit> hits = filter.isEmpty() ? index.search(vector, k, Math.max(ef, k))
                    : index.search(vector, k, Math.max(ef, k), ordinal -> {
                        Passage p = byOrdinal.get(ordinal);
                        return p != null && filter.matches(docs.get(p.documentId()).document().metadata());
                    });
            List<Hit> out = new ArrayList<>(hits.size());
            for (SearchHit h : hits) {
                Passage p = passages.get(h.ordinal());
                out.add(new Hit(h.ordinal(), p, documents.get(p.documentId()).document().metadata(), h.score()));
            }
            return out;
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Runs {@code work} under the collection's read lock, so that what it reads across several calls
     * (a search, then the lexical statistics a rerank reads by ordinal) is of one state: no change or
     * compaction comes in between. The lock is reentrant.
     */
    public <T> T read(java.util.function.Supplier<T> work) {
        lock.readLock().lock();
        try {
            return work.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** What a reranker reads of a hit. */
    public static Reranker.Candidate candidate(Hit hit) {
        Passage p = hit.passage();
        return new Reranker.Candidate(hit.ordinal(), p.id(), p.text(), p.vector(), p.sentences(), p.title());
    }

    /** Folds the log into a fresh snapshot now. */
    public void snapshot() throws IOException {
        lock.writeLock().lock();
        try {
            ensureOpen();
            writeSnapshot();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Bytes in the write-ahead log (what a restart would replay). */
    public long logBytes() {
        return log.size();
    }

    @Override
    public void close() throws IOException {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                log.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Closes the collection and removes its files. */
    public void drop() throws IOException {
        close();
        Path trash = dir.resolveSibling(".deleted-" + dir.getFileName() + "-" + System.nanoTime());
        Files.move(dir, trash, StandardCopyOption.ATOMIC_MOVE);
        WriteAheadLog.forceDirectory(dir.toAbsolutePath().getParent());
        deleteRecursively(trash);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("collection '" + config.name() + "' is closed");
        }
    }

    private void maybeSnapshot() {
        if (log.size() > snapshotBytes) {
            try {
                writeSnapshot();
            } catch (IOException e) {
                // the change is safe in the log; the next change tries again
                LOGGER.log(Level.WARNING, "collection '" + config.name() + "': snapshot failed, the log keeps growing", e);
            }
        }
    }

    // ---- applying changes (live and on replay) ----

    private int applyUpsert(long seq, List<PreparedDocument> prepared) {
        int count = 0;
        for (PreparedDocument p : prepared) {
            removeDocument(p.document().id());
            int[] ordinals = new int[p.passages().size()];
            for (int i = 0; i < ordinals.length; i++) {
                Passage passage = p.passages().get(i);
                int ordinal = index.add(passage.vector());
                while (passages.size() <= ordinal) {
                    passages.add(null);
                }
                passages.set(ordinal, passage);
                lexical.add(ordinal, passage.text());
                ordinals[i] = ordinal;
            }
            documents.put(p.document().id(), new StoredDocument(p.document(), ordinals));
            count += ordinals.length;
        }
        sequence = seq;
        return count;
    }

    private void applyDelete(long seq, List<String> ids) {
        ids.forEach(this::removeDocument);
        sequence = seq;
    }

    private void removeDocument(String id) {
        StoredDocument old = documents.remove(id);
        if (old != null) {
            for (int ordinal : old.ordinals()) {
                index.delete(ordinal);
                passages.set(ordinal, null);
                lexical.remove(ordinal);
            }
        }
    }

    private void replay(ByteBuffer record) {
        try {
            DataInputStream in = new DataInputStream(new ByteBufferInput(record));
            byte type = in.readByte();
            long seq = in.readLong();
            if (seq <= sequence) {
                return; // already in the snapshot
            }
            switch (type) {
                case UPSERT -> applyUpsert(seq, readPrepared(in));
                case DELETE -> {
                    int n = in.readInt();
                    List<String> ids = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        ids.add(readString(in));
                    }
                    applyDelete(seq, ids);
                }
                default -> throw new IOException("unknown log record type " + type);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("collection '" + config.name() + "': a log record that passed its checksum does not decode", e);
        }
    }

    // ---- log records ----

    /** A log record's bytes: its type, sequence number and item count, then what {@code body} writes. */
    private static ByteBuffer record(byte type, long seq, int items, RecordBody body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(type);
        out.writeLong(seq);
        out.writeInt(items);
        body.write(out);
        return ByteBuffer.wrap(bytes.toByteArray());
    }

    private interface RecordBody {
        void write(DataOutputStream out) throws IOException;
    }

    private static ByteBuffer encodeUpsert(long seq, List<PreparedDocument> prepared) throws IOException {
        return record(UPSERT, seq, prepared.size(), out -> {
            for (PreparedDocument p : prepared) {
                writeDocument(out, p.document());
                out.writeInt(p.passages().size());
                for (Passage passage : p.passages()) {
                    writePassage(out, passage);
                    writeVector(out, passage.vector());
                }
            }
        });
    }

    private static List<PreparedDocument> readPrepared(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<PreparedDocument> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Document d = readDocument(in);
            int count = in.readInt();
            List<Passage> passages = new ArrayList<>(count);
            for (int c = 0; c < count; c++) {
                Passage fields = readPassage(in, d.id(), null);
                passages.add(new Passage(d.id(), fields.index(), fields.text(), readVector(in), fields.sentences(), fields.title()));
            }
            out.add(new PreparedDocument(d, passages));
        }
        return out;
    }

    /** A passage's own fields as {@link #writePassage} wrote them, with the vector the caller read or holds. */
    private static Passage readPassage(DataInputStream in, String documentId, float[] vector) throws IOException {
        int index = in.readInt();
        String text = readString(in);
        float[][] sentences = new float[in.readInt()][];
        for (int s = 0; s < sentences.length; s++) {
            sentences[s] = readVector(in);
        }
        float[] title = in.readBoolean() ? readVector(in) : null;
        return new Passage(documentId, index, text, vector, sentences, title);
    }

    private static ByteBuffer encodeDelete(long seq, List<String> ids) throws IOException {
        return record(DELETE, seq, ids.size(), out -> {
            for (String id : ids) {
                writeString(out, id);
            }
        });
    }

    // ---- snapshots ----

    /**
     * Deleted and replaced passages stay in the graph as marks (they still route searches); once they
     * outnumber the live ones (and are at least {@link #COMPACT_MIN_DEAD}) the index is rebuilt from the
     * live passages, renumbered, before a snapshot is written. Runs under the write lock.
     */
    private void compactIfMostlyDead() {
        int live = index.liveCount();
        int dead = index.size() - live;
        if (dead < COMPACT_MIN_DEAD || dead <= live) {
            return;
        }
        long start = System.nanoTime();
        HnswIndex fresh = new HnswIndex(config.dimension(), config.similarity(), config.hnsw());
        List<Passage> freshPassages = new ArrayList<>(live);
        LexicalIndex freshLexical = new LexicalIndex();
        int[] renumbered = new int[passages.size()];
        for (int old = 0; old < passages.size(); old++) {
            Passage p = passages.get(old);
            if (p != null) {
                int ordinal = fresh.add(p.vector());
                renumbered[old] = ordinal;
                freshPassages.add(p);
                freshLexical.add(ordinal, p.text());
            }
        }
        Map<String, StoredDocument> freshDocuments = new HashMap<>(documents.size() * 2);
        for (StoredDocument d : documents.values()) {
            int[] ordinals = new int[d.ordinals().length];
            for (int i = 0; i < ordinals.length; i++) {
                ordinals[i] = renumbered[d.ordinals()[i]];
            }
            freshDocuments.put(d.document().id(), new StoredDocument(d.document(), ordinals));
        }
        index = fresh;
        passages = freshPassages;
        documents = freshDocuments;
        lexical = freshLexical;
        LOGGER.info(String.format("collection '%s': index rebuilt without %d deleted passages (%d live) in %.1f s",
                config.name(), dead, live, (System.nanoTime() - start) / 1e9));
    }

    private void writeSnapshot() throws IOException {
        compactIfMostlyDead();
        Path tmp = dir.resolve(SNAPSHOT + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            CRC32C crc = new CRC32C();
            OutputStream raw = Channels.newOutputStream(channel);
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new CheckedOutputStream(raw, crc), 1 << 16));
            out.writeInt(SNAPSHOT_MAGIC);
            out.writeInt(SNAPSHOT_VERSION);
            out.writeLong(sequence);
            index.writeTo(out);
            out.writeInt(passages.size());
            for (Passage p : passages) {
                out.writeBoolean(p != null);
                if (p != null) {
                    writeString(out, p.documentId());
                    writePassage(out, p);
                }
            }
            out.writeInt(documents.size());
            for (StoredDocument d : documents.values()) {
                writeDocument(out, d.document());
                out.writeInt(d.ordinals().length);
                for (int o : d.ordinals()) {
                    out.writeInt(o);
                }
            }
            out.flush();
            new DataOutputStream(raw).writeInt((int) crc.getValue());
            channel.force(true);
        }
        Files.move(tmp, dir.resolve(SNAPSHOT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        WriteAheadLog.forceDirectory(dir);
        log.clear();
    }

    private void readSnapshot(Path file) throws IOException {
        long length = Files.size(file);
        if (length < 4) {
            throw new IOException(file + " is too short to be a snapshot");
        }
        CRC32C crc = new CRC32C();
        try (InputStream raw = Files.newInputStream(file)) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(new CheckedInputStream(new LimitedInput(raw, length - 4), crc), 1 << 16));
            if (in.readInt() != SNAPSHOT_MAGIC) {
                throw new IOException(file + " is not a collection snapshot");
            }
            int version = in.readInt();
            if (version != SNAPSHOT_VERSION) {
                throw new IOException(file + " has snapshot format " + version + ", this build reads " + SNAPSHOT_VERSION);
            }
            long seq = in.readLong();
            HnswIndex loaded = HnswIndex.readFrom(in);
            int n = in.readInt();
            List<Passage> loadedPassages = new ArrayList<>(n);
            LexicalIndex loadedLexical = new LexicalIndex();
            for (int i = 0; i < n; i++) {
                if (in.readBoolean()) {
                    Passage p = readPassage(in, readString(in), loaded.vector(i));
                    loadedPassages.add(p);
                    loadedLexical.add(i, p.text());
                } else {
                    loadedPassages.add(null);
                }
            }
            int docs = in.readInt();
            Map<String, StoredDocument> loadedDocuments = new HashMap<>(docs * 2);
            for (int i = 0; i < docs; i++) {
                Document d = readDocument(in);
                int[] ordinals = new int[in.readInt()];
                for (int o = 0; o < ordinals.length; o++) {
                    ordinals[o] = in.readInt();
                }
                loadedDocuments.put(d.id(), new StoredDocument(d, ordinals));
            }
            if (in.read() != -1) {
                throw new IOException(file + " has bytes after its last document");
            }
            int expected = new DataInputStream(raw).readInt();
            if (expected != (int) crc.getValue()) {
                throw new IOException(file + " fails its checksum: the snapshot is damaged");
            }
            index = loaded;
            passages = loadedPassages;
            documents = loadedDocuments;
            lexical = loadedLexical;
            sequence = seq;
        } catch (EOFException e) {
            throw new IOException(file + " ends early: the snapshot is damaged", e);
        }
    }

    // ---- encoding helpers ----

    private static void writeDocument(DataOutputStream out, Document d) throws IOException {
        writeString(out, d.id());
        writeString(out, d.text());
        writeString(out, JSON.writeValueAsString(d.metadata()));
    }

    private static Document readDocument(DataInputStream in) throws IOException {
        String id = readString(in);
        String text = readString(in);
        Map<String, Object> metadata = JSON.readValue(readString(in), new TypeReference<LinkedHashMap<String, Object>>() { });
        return new Document(id, text, metadata);
    }

    /** A passage's own fields (not its document id or vector, which the caller places). */
    private static void writePassage(DataOutputStream out, Passage p) throws IOException {
        out.writeInt(p.index());
        writeString(out, p.text());
        out.writeInt(p.sentences().length);
        for (float[] s : p.sentences()) {
            writeVector(out, s);
        }
        out.writeBoolean(p.title() != null);
        if (p.title() != null) {
            writeVector(out, p.title());
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > WriteAheadLog.MAX_RECORD) {
            throw new IOException("a string of " + n + " bytes");
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    private static void writeVector(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        for (float x : v) {
            out.writeFloat(x);
        }
    }

    private static float[] readVector(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 65_536) {
            throw new IOException("a vector of " + n + " dimensions");
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = in.readFloat();
        }
        return v;
    }

    // ---- config file ----

    private static Map<String, Object> configJson(CollectionConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.name());
        m.put("similarity", c.similarity().wireName());
        m.put("embedding_model", c.embeddingModel());
        m.put("embedding_fingerprint", c.embeddingFingerprint());
        m.put("dimension", c.dimension());
        m.put("hnsw_m", c.hnsw().m());
        m.put("hnsw_ef_construction", c.hnsw().efConstruction());
        m.put("hnsw_seed", c.hnsw().seed());
        m.put("passage_tokens", c.passageTokens());
        return m;
    }

    private static CollectionConfig readConfig(Path file) throws IOException {
        try {
            var node = JSON.readTree(file.toFile());
            return new CollectionConfig(node.path("name").asText(), Similarity.fromWireName(node.path("similarity").asText()),
                    node.path("embedding_model").asText(), node.path("embedding_fingerprint").asText(), node.path("dimension").asInt(),
                    new HnswParameters(node.path("hnsw_m").asInt(), node.path("hnsw_ef_construction").asInt(), node.path("hnsw_seed").asLong()),
                    node.path("passage_tokens").asInt());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " is not a valid collection config: " + e.getMessage(), e);
        }
    }

    static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (var walk = Files.walk(path)) {
            for (Path p : walk.sorted(Collections.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Reads a ByteBuffer as a stream. */
    private static final class ByteBufferInput extends InputStream {
        private final ByteBuffer buffer;

        ByteBufferInput(ByteBuffer buffer) {
            this.buffer = buffer;
        }

        @Override
        public int read() {
            return buffer.hasRemaining() ? buffer.get() & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (!buffer.hasRemaining()) {
                return -1;
            }
            int n = Math.min(len, buffer.remaining());
            buffer.get(b, off, n);
            return n;
        }
    }

    /** The first {@code limit} bytes of a stream, leaving the rest (the checksum) unread. */
    private static final class LimitedInput extends InputStream {
        private final InputStream in;
        private long left;

        LimitedInput(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }
}
