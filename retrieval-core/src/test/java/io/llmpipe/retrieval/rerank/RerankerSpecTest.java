package io.llmpipe.retrieval.rerank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.llmpipe.retrieval.rerank.TinyCrossEncoders.Head;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RerankerSpecTest {

    @Test
    void parsesBothFormsAndRefusesAnythingElse() {
        assertEquals(new RerankerSpec.MultiView(MultiViewReranker.Weights.EQUAL), RerankerSpec.parse(" multi-view "));
        assertEquals(new RerankerSpec.CrossEncoder(Path.of("/m/model.onnx"), Path.of("/m/tokenizer.json"), RerankerSpec.DEFAULT_MAX_TOKENS),
                RerankerSpec.parse("onnx:/m/model.onnx,/m/tokenizer.json"));
        assertEquals(new RerankerSpec.CrossEncoder(Path.of("/m/model.onnx"), Path.of("/m/tokenizer.json"), 256),
                RerankerSpec.parse("onnx:/m/model.onnx, /m/tokenizer.json, 256"));
        for (String bad : List.of("", "mvp", "onnx:", "onnx:/m/model.onnx", "onnx:/m/model.onnx,", "onnx:/a,/b,many", "onnx:/a,/b,1,2")) {
            assertThrows(IllegalArgumentException.class, () -> RerankerSpec.parse(bad), bad);
        }
    }

    @Test
    void opensTheRerankerItNames(@TempDir Path dir) throws IOException {
        assertInstanceOf(MultiViewReranker.class, RerankerSpec.parse("multi-view").open(new LexicalIndex()));
        Path model = TinyCrossEncoders.write(dir, "count", 3000, Head.ONE_LOGIT);
        Path tokenizer = TinyCrossEncoders.miniLmTokenizer(dir);
        Reranker opened = RerankerSpec.parse("onnx:" + model + "," + tokenizer + ",64").open(null);
        try (var crossEncoder = assertInstanceOf(OnnxCrossEncoderReranker.class, opened)) {
            assertEquals(64, crossEncoder.maxTokens());
        }
    }
}
