package io.llmpipe.cli.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** One result row: named columns in order, printed as a table and written as a JSON object. */
public final class BenchRow {
    private final Map<String, Object> columns = new LinkedHashMap<>();

    public BenchRow put(String column, Object value) {
        columns.put(column, value);
        return this;
    }

    public Map<String, Object> columns() {
        return columns;
    }
}
