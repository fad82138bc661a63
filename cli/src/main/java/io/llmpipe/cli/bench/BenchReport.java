package io.llmpipe.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Collects rows, prints them as an aligned (markdown) table and writes them as a JSON list. */
public final class BenchReport {
    private final String suite;
    private final List<BenchRow> rows = new ArrayList<>();

    public BenchReport(String suite) {
        this.suite = suite;
    }

    public void add(BenchRow row) {
        rows.add(row);
    }

    public List<BenchRow> rows() {
        return rows;
    }

    /** A markdown table of all rows; columns are the union of the rows' columns in first-seen order. */
    public String table() {
        Set<String> cols = new LinkedHashSet<>();
        rows.forEach(r -> cols.addAll(r.columns().keySet()));
        List<String> names = new ArrayList<>(cols);
        List<String[]> cells = new ArrayList<>();
        for (BenchRow r : rows) {
            String[] c = new String[names.size()];
            for (int i = 0; i < c.length; i++) {
                c[i] = format(r.columns().get(names.get(i)));
            }
            cells.add(c);
        }
        int[] width = new int[names.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = names.get(i).length();
            for (String[] c : cells) {
                width[i] = Math.max(width[i], c[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, names.toArray(String[]::new), width);
        String[] sep = new String[width.length];
        for (int i = 0; i < sep.length; i++) {
            sep[i] = "-".repeat(width[i]);
        }
        line(sb, sep, width);
        cells.forEach(c -> line(sb, c, width));
        return sb.toString();
    }

    private static void line(StringBuilder sb, String[] cells, int[] width) {
        sb.append('|');
        for (int i = 0; i < cells.length; i++) {
            sb.append(' ').append(cells[i]).append(" ".repeat(width[i] - cells[i].length())).append(" |");
        }
        sb.append('\n');
    }

    private static String format(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Math.abs(d) >= 100 ? String.format(Locale.ROOT, "%.1f", d)
                    : Math.abs(d) >= 1 ? String.format(Locale.ROOT, "%.2f", d) : String.format(Locale.ROOT, "%.3f", d);
        }
        return v.toString();
    }

    /** Writes target/bench/{suite}.json under {@code dir} and returns its path. */
    public Path writeJson(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(suite + ".json");
        List<Map<String, Object>> list = rows.stream().map(BenchRow::columns).toList();
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), list);
        return file;
    }

    public void print(PrintWriter out) {
        out.print(table());
        out.flush();
    }
}
