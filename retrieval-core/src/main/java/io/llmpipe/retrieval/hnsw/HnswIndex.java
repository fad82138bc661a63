package io.llmpipe.retrieval.hnsw;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;

/**
 * A hierarchical navigable small-world graph (Malkov and Yashunin) over float vectors, addressed by
 * ordinal (0, 1, ... in insertion order). Each element gets a top layer ⌊−ln(U)·mL⌋ with mL = 1/ln M; it
 * is linked on each of its layers to M neighbours chosen by the paper's heuristic (a candidate is kept
 * only if it is closer to the element than to every neighbour already kept) from an efConstruction-wide
 * beam search; a neighbour whose list overflows (M on upper layers, 2M on layer 0) is pruned the same
 * way. A search descends greedily from the entry point and runs a beam of width ef on layer 0.
 *
 * <p>Thread-safe: {@link #add} and {@link #search} may run concurrently from any threads. A node's
 * links are replaced copy-on-write under the node's lock, so searches read them without locking.
 * Deletion marks an element: it still routes searches but is never returned. Vectors and nodes live in
 * pages of 1024, so growing never moves what a search is reading.
 */
public final class HnswIndex {
    private static final int PAGE_BITS = 10;
    private static final int PAGE = 1 << PAGE_BITS;
    private static final int MAX_LEVEL = 24;
    private static final long EMPTY = -1;
    private static final int FORMAT_VERSION = 1;

    private final int dimension;
    private final Similarity similarity;
    private final HnswParameters parameters;
    private final double levelMultiplier;
    private final SplittableRandom levels;

    private volatile float[][] vectorPages = new float[0][];
    private volatile Node[][] nodePages = new Node[0][];
    private final Object growLock = new Object();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger deleted = new AtomicInteger();
    private final Object entryLock = new Object();
    private volatile long entry = EMPTY; // top level << 32 | ordinal

    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    /** One element: its top layer, its links per layer (copy-on-write), whether it is deleted. */
    private static final class Node {
        final int level;
        volatile int[][] links;
        volatile boolean deleted;

        Node(int level) {
            this.level = level;
            int[][] empty = new int[level + 1][];
            Arrays.fill(empty, new int[0]);
            this.links = empty;
        }
    }

    public HnswIndex(int dimension, Similarity similarity, HnswParameters parameters) {
        if (dimension < 1 || dimension > 65_536) {
            throw new IllegalArgumentException("dimension must be in [1, 65536], got " + dimension);
        }
        this.dimension = dimension;
        this.similarity = similarity;
        this.parameters = parameters;
        this.levelMultiplier = 1.0 / Math.log(parameters.m());
        this.levels = new SplittableRandom(parameters.seed());
    }

    public int dimension() {
        return dimension;
    }

    public Similarity similarity() {
        return similarity;
    }

    public HnswParameters parameters() {
        return parameters;
    }

    /** Elements ever added, deleted ones included: the next ordinal. */
    public int size() {
        return size.get();
    }

    /** Elements added and not deleted. */
    public int liveCount() {
        return size.get() - deleted.get();
    }

    /**
     * Adds a vector and returns its ordinal. Cosine indexes store it normalized.
     *
     * @throws IllegalArgumentException for a vector of the wrong dimension or with a non-finite value
     */
    public int add(float[] vector) {
        float[] v = checked(vector);
        int level;
        synchronized (levels) {
            level = Math.min(MAX_LEVEL, (int) (-Math.log(1.0 - levels.nextDouble()) * levelMultiplier));
        }
        int ordinal = size.getAndIncrement();
        ensurePages(ordinal);
        System.arraycopy(v, 0, vectorPages[ordinal >>> PAGE_BITS], (ordinal & (PAGE - 1)) * dimension, dimension);
        Node node = new Node(level);
        nodePages[ordinal >>> PAGE_BITS][ordinal & (PAGE - 1)] = node;
        insert(ordinal, node, v);
        return ordinal;
    }

    private float[] checked(float[] vector) {
        if (vector.length != dimension) {
            throw new IllegalArgumentException("vector of dimension " + vector.length + ", the index holds " + dimension);
        }
        for (float x : vector) {
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException("vector with a non-finite value");
            }
        }
        float[] v = vector.clone();
        if (similarity == Similarity.COSINE) {
            VectorKernels.normalize(v);
        }
        return v;
    }

    private void ensurePages(int ordinal) {
        int page = ordinal >>> PAGE_BITS;
        if (page < vectorPages.length && vectorPages[page] != null && nodePages[page] != null) {
            return;
        }
        synchronized (growLock) {
            if (page >= vectorPages.length) {
                int n = Math.max(page + 1, vectorPages.length * 2);
                float[][] vp = Arrays.copyOf(vectorPages, n);
                Node[][] np = Arrays.copyOf(nodePages, n);
                for (int p = vectorPages.length; p < n; p++) {
                    vp[p] = new float[PAGE * dimension];
                    np[p] = new Node[PAGE];
                }
                nodePages = np;
                vectorPages = vp;
            }
        }
    }

    private Node node(int ordinal) {
        return nodePages[ordinal >>> PAGE_BITS][ordinal & (PAGE - 1)];
    }

    /** Internal score of the query against element {@code ordinal}: higher is closer. */
    private float score(float[] q, int ordinal) {
        return similarity.compare(q, 0, vectorPages[ordinal >>> PAGE_BITS], (ordinal & (PAGE - 1)) * dimension, dimension);
    }

    /** {@link #score(float[], int)}, or any value below {@code floor} when it is below it. */
    private float scoreAbove(float[] q, int ordinal, float floor) {
        return similarity.compareAbove(q, 0, vectorPages[ordinal >>> PAGE_BITS], (ordinal & (PAGE - 1)) * dimension,
                dimension, floor);
    }

    private float score(int a, int b) {
        float[][] pages = vectorPages;
        return similarity.compare(pages[a >>> PAGE_BITS], (a & (PAGE - 1)) * dimension,
                pages[b >>> PAGE_BITS], (b & (PAGE - 1)) * dimension, dimension);
    }

    private void insert(int ordinal, Node node, float[] v) {
        long ep = entry;
        if (ep == EMPTY) {
            synchronized (entryLock) {
                if (entry == EMPTY) {
                    entry = pack(node.level, ordinal);
                    return;
                }
                ep = entry;
            }
        }
        int top = (int) (ep >>> 32);
        int current = (int) ep;
        float currentScore = score(v, current);
        for (int level = top; level > node.level; level--) {
            int[] best = greedy(v, current, currentScore, level);
            current = best[0];
            currentScore = Float.intBitsToFloat(best[1]);
        }
        Scratch s = scratch.get();
        int[] entries = {current};
        for (int level = Math.min(node.level, top); level >= 0; level--) {
            searchLayer(s, v, entries, parameters.efConstruction(), level, null, ordinal);
            int count = s.results.size();
            int[] candidates = new int[count];
            float[] scores = new float[count];
            for (int i = count - 1; i >= 0; i--) { // best first
                candidates[i] = s.results.topNode();
                scores[i] = s.results.topScore();
                s.results.pop();
            }
            int[] chosen = diverse(candidates, scores, count, parameters.m());
            synchronized (node) {
                int[][] links = node.links.clone();
                links[level] = chosen;
                node.links = links;
            }
            for (int neighbour : chosen) {
                link(neighbour, ordinal, level);
            }
            entries = candidates;
        }
        if (node.level > top) {
            synchronized (entryLock) {
                if (node.level > (int) (entry >>> 32)) {
                    entry = pack(node.level, ordinal);
                }
            }
        }
    }

    private static long pack(int level, int ordinal) {
        return (long) level << 32 | (ordinal & 0xffffffffL);
    }

    /** Greedy walk on one layer: {ordinal, float bits of its score} of the closest element found. */
    private int[] greedy(float[] q, int start, float startScore, int level) {
        int current = start;
        float best = startScore;
        boolean moved = true;
        while (moved) {
            moved = false;
            for (int n : node(current).links[level]) {
                float sc = score(q, n);
                if (sc > best) {
                    best = sc;
                    current = n;
                    moved = true;
                }
            }
        }
        return new int[]{current, Float.floatToRawIntBits(best)};
    }

    /**
     * The heuristic: walking the candidates best first, keep one only if it is closer to the base than
     * to every one kept so far; stop at {@code max}.
     */
    private int[] diverse(int[] candidates, float[] scoresToBase, int count, int max) {
        int[] kept = new int[Math.min(max, count)];
        int n = 0;
        for (int i = 0; i < count && n < kept.length; i++) {
            int c = candidates[i];
            boolean good = true;
            for (int j = 0; j < n; j++) {
                if (score(c, kept[j]) > scoresToBase[i]) {
                    good = false;
                    break;
                }
            }
            if (good) {
                kept[n++] = c;
            }
        }
        return n == kept.length ? kept : Arrays.copyOf(kept, n);
    }

    /** Adds {@code ordinal} to {@code target}'s links on {@code level}, pruning them if they overflow. */
    private void link(int target, int ordinal, int level) {
        Node t = node(target);
        int capacity = level == 0 ? 2 * parameters.m() : parameters.m();
        synchronized (t) {
            int[] current = t.links[level];
            for (int n : current) {
                if (n == ordinal) {
                    return;
                }
            }
            int[] next;
            if (current.length < capacity) {
                next = Arrays.copyOf(current, current.length + 1);
                next[current.length] = ordinal;
            } else {
                int count = current.length + 1;
                int[] candidates = Arrays.copyOf(current, count);
                candidates[current.length] = ordinal;
                float[] scores = new float[count];
                for (int i = 0; i < count; i++) {
                    scores[i] = score(target, candidates[i]);
                }
                sortByScoreDescending(candidates, scores);
                next = diverse(candidates, scores, count, capacity);
            }
            int[][] links = t.links.clone();
            links[level] = next;
            t.links = links;
        }
    }

    private static void sortByScoreDescending(int[] nodes, float[] scores) {
        // insertion sort: at most 2M + 1 entries
        for (int i = 1; i < nodes.length; i++) {
            int n = nodes[i];
            float s = scores[i];
            int j = i - 1;
            while (j >= 0 && scores[j] < s) {
                nodes[j + 1] = nodes[j];
                scores[j + 1] = scores[j];
                j--;
            }
            nodes[j + 1] = n;
            scores[j + 1] = s;
        }
    }

    /**
     * Beam search of width {@code ef} on one layer from {@code entries}; leaves the best {@code ef}
     * accepted elements in {@code s.results} (a min-heap). {@code accept} null takes every element;
     * {@code self} (an element being inserted, which concurrent inserts may already link to) is skipped.
     */
    private void searchLayer(Scratch s, float[] q, int[] entries, int ef, int level, IntPredicate accept, int self) {
        s.startVisit(size.get());
        if (self >= 0) {
            s.visit(self);
        }
        ScoredQueue candidates = s.candidates;
        ScoredQueue results = s.results;
        candidates.clear();
        results.clear();
        for (int e : entries) {
            if (!s.visit(e)) {
                continue;
            }
            float sc = score(q, e);
            candidates.push(e, sc);
            if (accept == null || accept.test(e)) {
                results.push(e, sc);
                if (results.size() > ef) {
                    results.pop();
                }
            }
        }
        while (candidates.size() > 0) {
            float best = candidates.topScore();
            if (results.size() >= ef && best < results.topScore()) {
                break;
            }
            int c = candidates.topNode();
            candidates.pop();
            for (int n : node(c).links[level]) {
                if (!s.visit(n)) {
                    continue;
                }
                boolean full = results.size() >= ef;
                float sc = full ? scoreAbove(q, n, results.topScore()) : score(q, n);
                if (!full || sc > results.topScore()) {
                    candidates.push(n, sc);
                    if (accept == null || accept.test(n)) {
                        results.push(n, sc);
                        if (results.size() > ef) {
                            results.pop();
                        }
                    }
                }
            }
        }
    }

    /** {@link #search(float[], int, int, IntPredicate)} without a filter. */
    public List<SearchHit> search(float[] query, int k, int ef) {
        return search(query, k, ef, null);
    }

    /**
     * The {@code k} elements closest to {@code query}, best first, among those not deleted and accepted
     * by {@code filter} (null: all); {@code ef} (raised to k) is the beam width on layer 0.
     */
    public List<SearchHit> search(float[] query, int k, int ef, IntPredicate filter) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        float[] q = checked(query);
        long ep = entry;
        if (ep == EMPTY) {
            return List.of();
        }
        int current = (int) ep;
        float currentScore = score(q, current);
        for (int level = (int) (ep >>> 32); level > 0; level--) {
            int[] best = greedy(q, current, currentScore, level);
            current = best[0];
            currentScore = Float.intBitsToFloat(best[1]);
        }
        Scratch s = scratch.get();
        IntPredicate accept;
        if (deleted.get() == 0) {
            accept = filter; // null: every element, no per-element test
        } else {
            accept = filter == null ? n -> !node(n).deleted : n -> !node(n).deleted && filter.test(n);
        }
        searchLayer(s, q, new int[]{current}, Math.max(ef, k), 0, accept, -1);
        ScoredQueue results = s.results;
        while (results.size() > k) {
            results.pop();
        }
        SearchHit[] hits = new SearchHit[results.size()];
        for (int i = hits.length - 1; i >= 0; i--) {
            hits[i] = new SearchHit(results.topNode(), similarity.score(results.topScore()));
            results.pop();
        }
        return List.of(hits);
    }

    /**
     * The exact {@code k} closest (every live element compared): the reference for recall, and the
     * right plan when a filter accepts only a few elements.
     */
    public List<SearchHit> exactSearch(float[] query, int k, IntPredicate filter) {
        float[] q = checked(query);
        ScoredQueue results = new ScoredQueue(false);
        int n = size.get();
        for (int i = 0; i < n; i++) {
            Node node = node(i);
            if (node == null || node.deleted || (filter != null && !filter.test(i))) {
                continue;
            }
            float sc = score(q, i);
            if (results.size() < k) {
                results.push(i, sc);
            } else if (sc > results.topScore()) {
                results.pop();
                results.push(i, sc);
            }
        }
        SearchHit[] hits = new SearchHit[results.size()];
        for (int i = hits.length - 1; i >= 0; i--) {
            hits[i] = new SearchHit(results.topNode(), similarity.score(results.topScore()));
            results.pop();
        }
        return List.of(hits);
    }

    /** Marks {@code ordinal} deleted; returns false when it already was. */
    public boolean delete(int ordinal) {
        checkOrdinal(ordinal);
        Node node = node(ordinal);
        synchronized (node) {
            if (node.deleted) {
                return false;
            }
            node.deleted = true;
        }
        deleted.incrementAndGet();
        return true;
    }

    public boolean isDeleted(int ordinal) {
        checkOrdinal(ordinal);
        return node(ordinal).deleted;
    }

    /** A copy of the stored vector (normalized for cosine). */
    public float[] vector(int ordinal) {
        checkOrdinal(ordinal);
        return Arrays.copyOfRange(vectorPages[ordinal >>> PAGE_BITS], (ordinal & (PAGE - 1)) * dimension,
                (ordinal & (PAGE - 1)) * dimension + dimension);
    }

    /** The links of {@code ordinal} on {@code level} (a copy), for checks and diagnostics. */
    public int[] neighbours(int ordinal, int level) {
        checkOrdinal(ordinal);
        int[][] links = node(ordinal).links;
        return level < links.length ? links[level].clone() : new int[0];
    }

    /** The top layer of {@code ordinal}. */
    public int level(int ordinal) {
        checkOrdinal(ordinal);
        return node(ordinal).level;
    }

    private void checkOrdinal(int ordinal) {
        if (ordinal < 0 || ordinal >= size.get() || node(ordinal) == null) {
            throw new IllegalArgumentException("no element " + ordinal + " (size " + size.get() + ")");
        }
    }

    /**
     * Writes the whole index (parameters, vectors, links, deletions). Call it when no add runs (a
     * snapshot taken under the caller's write lock).
     */
    public void writeTo(DataOutputStream out) throws IOException {
        int n = size.get();
        out.writeInt(0x484e5357); // "HNSW"
        out.writeInt(FORMAT_VERSION);
        out.writeInt(dimension);
        out.writeUTF(similarity.wireName());
        out.writeInt(parameters.m());
        out.writeInt(parameters.efConstruction());
        out.writeLong(parameters.seed());
        out.writeInt(n);
        out.writeLong(entry);
        for (int i = 0; i < n; i++) {
            Node node = node(i);
            out.writeInt(node.level);
            out.writeBoolean(node.deleted);
            float[] page = vectorPages[i >>> PAGE_BITS];
            int off = (i & (PAGE - 1)) * dimension;
            for (int d = 0; d < dimension; d++) {
                out.writeFloat(page[off + d]);
            }
            for (int[] links : node.links) {
                out.writeInt(links.length);
                for (int l : links) {
                    out.writeInt(l);
                }
            }
        }
    }

    /** Reads what {@link #writeTo} wrote; {@link IOException} for anything else. */
    public static HnswIndex readFrom(DataInputStream in) throws IOException {
        if (in.readInt() != 0x484e5357) {
            throw new IOException("not an HNSW snapshot");
        }
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw new IOException("HNSW snapshot format " + version + ", this build reads " + FORMAT_VERSION);
        }
        int dimension = in.readInt();
        Similarity similarity;
        HnswParameters parameters;
        try {
            similarity = Similarity.fromWireName(in.readUTF());
            parameters = new HnswParameters(in.readInt(), in.readInt(), in.readLong());
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt HNSW snapshot: " + e.getMessage(), e);
        }
        HnswIndex index = new HnswIndex(dimension, similarity, parameters);
        int n = in.readInt();
        long entry = in.readLong();
        if (n < 0 || (n == 0) != (entry == EMPTY) || (n > 0 && ((int) entry < 0 || (int) entry >= n))) {
            throw new IOException("corrupt HNSW snapshot: " + n + " elements, entry " + entry);
        }
        for (int i = 0; i < n; i++) {
            int level = in.readInt();
            if (level < 0 || level > MAX_LEVEL) {
                throw new IOException("corrupt HNSW snapshot: element " + i + " on level " + level);
            }
            Node node = new Node(level);
            node.deleted = in.readBoolean();
            index.ensurePages(i);
            float[] page = index.vectorPages[i >>> PAGE_BITS];
            int off = (i & (PAGE - 1)) * dimension;
            for (int d = 0; d < dimension; d++) {
                page[off + d] = in.readFloat();
            }
            int[][] links = new int[level + 1][];
            for (int l = 0; l <= level; l++) {
                int count = in.readInt();
                if (count < 0 || count > 2 * parameters.m()) {
                    throw new IOException("corrupt HNSW snapshot: element " + i + " has " + count + " links");
                }
                links[l] = new int[count];
                for (int j = 0; j < count; j++) {
                    int t = in.readInt();
                    if (t < 0 || t >= n) {
                        throw new IOException("corrupt HNSW snapshot: link to " + t + " of " + n);
                    }
                    links[l][j] = t;
                }
            }
            node.links = links;
            index.nodePages[i >>> PAGE_BITS][i & (PAGE - 1)] = node;
            if (node.deleted) {
                index.deleted.incrementAndGet();
            }
        }
        index.size.set(n);
        index.entry = entry;
        return index;
    }

    /** Per-thread search state: visit marks stamped by generation, and the two queues. */
    private static final class Scratch {
        int[] marks = new int[0];
        int generation;
        final ScoredQueue candidates = new ScoredQueue(true);
        final ScoredQueue results = new ScoredQueue(false);

        void startVisit(int size) {
            if (marks.length < size) {
                marks = Arrays.copyOf(marks, Math.max(size + PAGE, marks.length * 2));
            }
            if (++generation == Integer.MAX_VALUE) {
                Arrays.fill(marks, 0);
                generation = 1;
            }
        }

        /** Marks {@code n} visited; false when it already was in this search. */
        boolean visit(int n) {
            if (n >= marks.length) {
                marks = Arrays.copyOf(marks, Math.max(n + PAGE, marks.length * 2));
            }
            if (marks[n] == generation) {
                return false;
            }
            marks[n] = generation;
            return true;
        }
    }

    /** For tests: every element's links point at existing elements and respect the per-layer caps. */
    List<String> checkInvariants() {
        List<String> problems = new ArrayList<>();
        int n = size.get();
        for (int i = 0; i < n; i++) {
            Node node = node(i);
            for (int l = 0; l <= node.level; l++) {
                int cap = l == 0 ? 2 * parameters.m() : parameters.m();
                int[] links = node.links[l];
                if (links.length > cap) {
                    problems.add(i + " has " + links.length + " links on level " + l);
                }
                for (int t : links) {
                    if (t == i || t < 0 || t >= n || node(t).level < l) {
                        problems.add(i + " links to " + t + " on level " + l);
                    }
                }
            }
        }
        return problems;
    }
}
