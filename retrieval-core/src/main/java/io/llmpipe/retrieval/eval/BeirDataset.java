package io.llmpipe.retrieval.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A retrieval data set in BEIR's layout: {@code corpus.jsonl} ({@code _id}, {@code title},
 * {@code text}), {@code queries.jsonl} ({@code _id}, {@code text}) and {@code qrels/<split>.tsv}
 * (header, then query id, document id, grade).
 *
 * @param documents corpus order
 * @param queries   id to text, for the queries the split judges (file order)
 * @param qrels     query id to (document id to grade), grades above 0 only
 */
public record BeirDataset(List<Document> documents, Map<String, String> queries, Map<String, Map<String, Integer>> qrels) {

    /** One corpus entry. */
    public record Document(String id, String title, String text) {
        /** Title and text as one passage, as BEIR embeds them. */
        public String passage() {
            return title.isEmpty() ? text : title + " " + text;
        }
    }

    public static BeirDataset load(Path dir, String split) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Document> documents = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(dir.resolve("corpus.jsonl"))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    JsonNode o = json.readTree(line);
                    documents.add(new Document(o.get("_id").asText(), o.path("title").asText(""), o.path("text").asText("")));
                }
            }
        }
        Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(dir.resolve("qrels").resolve(split + ".tsv"));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split("\t");
            if (f.length == 3 && Integer.parseInt(f[2].trim()) > 0) {
                qrels.computeIfAbsent(f[0], k -> new HashMap<>()).put(f[1], Integer.parseInt(f[2].trim()));
            }
        }
        Map<String, String> queries = new LinkedHashMap<>();
        try (BufferedReader r = Files.newBufferedReader(dir.resolve("queries.jsonl"))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    JsonNode o = json.readTree(line);
                    String id = o.get("_id").asText();
                    if (qrels.containsKey(id)) {
                        queries.put(id, o.get("text").asText());
                    }
                }
            }
        }
        return new BeirDataset(documents, queries, qrels);
    }
}
