package io.llmpipe.retrieval.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The collections under one data directory, a sub-directory each. Opening recovers every collection
 * (snapshot plus log) and finishes what a crash interrupted: a half-created collection is discarded, a
 * half-deleted one is removed. A collection that cannot be recovered is left on disk untouched and
 * reported by {@link #failures()}; the others open. Thread-safe.
 */
public final class CollectionStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(CollectionStore.class.getName());

    private final Path root;
    private final long snapshotBytes;
    private final Map<String, Collection> collections = new ConcurrentHashMap<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();

    private CollectionStore(Path root, long snapshotBytes) {
        this.root = root;
        this.snapshotBytes = snapshotBytes;
    }

    public static CollectionStore open(Path root, long snapshotBytes) throws IOException {
        Files.createDirectories(root);
        CollectionStore store = new CollectionStore(root, snapshotBytes);
        try (var entries = Files.list(root)) {
            for (Path dir : entries.sorted().toList()) {
                String name = dir.getFileName().toString();
                if (name.startsWith(".creating-") || name.startsWith(".deleted-")) {
                    Collection.deleteRecursively(dir);
                } else if (Files.isDirectory(dir) && !name.startsWith(".")) {
                    try {
                        store.collections.put(name, Collection.open(dir, snapshotBytes));
                    } catch (IOException | RuntimeException e) {
                        LOG.log(Level.SEVERE, "collection '" + name + "' cannot be recovered; its files are left as they are", e);
                        store.failures.put(name, String.valueOf(e.getMessage()));
                    }
                }
            }
        }
        return store;
    }

    public Path root() {
        return root;
    }

    /** Creates a collection; {@link IllegalStateException} when the name is taken. */
    public synchronized Collection create(CollectionConfig config) throws IOException {
        if (collections.containsKey(config.name()) || failures.containsKey(config.name())) {
            throw new IllegalStateException("collection '" + config.name() + "' already exists");
        }
        Collection c = Collection.create(root.resolve(config.name()), config, snapshotBytes);
        collections.put(config.name(), c);
        return c;
    }

    public Optional<Collection> get(String name) {
        return Optional.ofNullable(collections.get(name));
    }

    /** The collections, by name. */
    public List<Collection> list() {
        List<Collection> out = new ArrayList<>(collections.values());
        out.sort(Comparator.comparing(c -> c.config().name()));
        return out;
    }

    /** Deletes a collection and its files; false when there is none of that name. */
    public synchronized boolean delete(String name) throws IOException {
        Collection c = collections.remove(name);
        if (c == null) {
            return false;
        }
        c.drop();
        return true;
    }

    /** Collections that failed to open, with the reason. */
    public Map<String, String> failures() {
        return new LinkedHashMap<>(failures);
    }

    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        for (Collection c : collections.values()) {
            try {
                c.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        collections.clear();
        if (first != null) {
            throw first;
        }
    }
}
