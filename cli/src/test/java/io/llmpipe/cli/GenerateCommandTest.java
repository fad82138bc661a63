package io.llmpipe.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code pipeline generate} as a user runs it: real model files, JSON output, clear errors. */
class GenerateCommandTest {
    static Path models() {
        String prop = System.getProperty("llmpipe.shared.dir");
        Path p = prop != null ? Path.of(prop, "models") : Path.of("..", "..", "shared", "models");
        return Files.isDirectory(p) ? p : Path.of("..", "shared", "models");
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void greedyJsonMatchesRunCGolden() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(models().resolve("stories260K.golden.json").toFile()).get("runs").get(0);
        Run r = run("generate", "--model", models().resolve("stories260K.gguf").toString(), "--context", "512",
                "--prompt", golden.get("prompt").asText(), "--temperature", "0", "--max-tokens", "50", "--json", "--threads", "2");
        assertEquals(0, r.exit(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertEquals(golden.get("prompt_token_ids"), o.get("prompt_token_ids"));
        for (int i = 0; i < 50; i++) {
            assertEquals(golden.get("generated_token_ids").get(i).asInt(), o.get("token_ids").get(i).asInt(), "token " + i);
        }
        assertTrue(golden.get("generated_text").asText().startsWith(o.get("text").asText()), o.get("text").asText());
        assertEquals("length", o.get("finish_reason").asText());
        assertEquals(50, o.get("timings").get("generated_tokens").asInt());
    }

    @Test
    void badInputFailsWithOneClearLine() {
        Run missing = run("generate", "--model", "/nonexistent/model.gguf", "--prompt", "x");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().startsWith("error: ") && missing.err().contains("does not exist"), missing.err());
        Run badTemp = run("generate", "--model", models().resolve("stories260K.bin").toString(), "--prompt", "x", "--temperature", "-1");
        assertEquals(1, badTemp.exit());
        assertTrue(badTemp.err().contains("temperature"), badTemp.err());
        Run tooLong = run("generate", "--model", models().resolve("stories260K.gguf").toString(), "--prompt", "word ".repeat(300));
        assertEquals(1, tooLong.exit());
        assertTrue(tooLong.err().contains("context length"), tooLong.err());
    }

    @Test
    void kiviCacheDecodesAndReportsTheHandoffSize() throws Exception {
        String prompt = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ".repeat(3);
        Run fp32 = run("generate", "--model", models().resolve("stories260K.bin").toString(), "--prompt", prompt,
                "--temperature", "0", "--max-tokens", "150", "--ignore-eos", "--json", "--threads", "2");
        Run kivi = run("generate", "--model", models().resolve("stories260K.bin").toString(), "--prompt", prompt,
                "--temperature", "0", "--max-tokens", "150", "--ignore-eos", "--json", "--threads", "2",
                "--kv", "kivi2", "--kv-group-size", "16", "--kv-residual-length", "32");
        assertEquals(0, kivi.exit(), kivi.err());
        JsonNode a = new ObjectMapper().readTree(fp32.out()), b = new ObjectMapper().readTree(kivi.out());
        JsonNode kv = b.get("kv");
        assertEquals("kivi2", kv.get("codec").asText());
        assertEquals(16, kv.get("group_size").asInt());
        assertTrue(kv.get("ratio_to_fp16").asDouble() < 0.6, kv.toString()); // head size 8 and a short prompt: scales and the residual weigh more than on big models
        assertEquals("fp32", a.get("kv").get("codec").asText());
        assertEquals(2.0, a.get("kv").get("ratio_to_fp16").asDouble(), 1e-9);
        assertEquals(150, b.get("token_ids").size());
        // the prompt's cache is mostly codes here, and decoding still starts the way the exact cache does
        for (int i = 0; i < 5; i++) {
            assertEquals(a.get("token_ids").get(i).asInt(), b.get("token_ids").get(i).asInt(), "token " + i);
        }

        Run bad = run("generate", "--model", models().resolve("stories260K.bin").toString(), "--prompt", "x",
                "--kv", "kivi2", "--kv-residual-length", "40");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().contains("multiple of the group size"), bad.err());
    }
}
