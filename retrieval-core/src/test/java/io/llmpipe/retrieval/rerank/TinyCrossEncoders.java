package io.llmpipe.retrieval.rerank;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Small but real ONNX cross-encoders for tests, written as ModelProto bytes (no trained cross-encoder is
 * reachable offline). The model counts how often one token id occurs in the passage segment:
 * {@code logit = sum over tokens of attention_mask * token_type_ids * [input_ids == target]}, so a test
 * knows every score exactly. Field numbers are onnx.proto's.
 */
final class TinyCrossEncoders {
    /** The shapes a test can ask for. */
    enum Head {
        /** logits [batch, 1] = the count. */
        ONE_LOGIT,
        /** logits [batch, 2] = (-count, count): the reranker's score is 2 * count. */
        TWO_CLASSES,
        /** logits [batch, 3]: not a cross-encoder head. */
        THREE_CLASSES
    }

    private static final int INT64 = 7;
    private static final int FLOAT = 1;
    private static final int ATTRIBUTE_INT = 2;

    private TinyCrossEncoders() {
    }

    /** all-MiniLM-L6-v2's tokenizer.json (a real BERT word-piece tokenizer) copied from its jar into dir. */
    static Path miniLmTokenizer(Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        try (InputStream in = AllMiniLmL6V2EmbeddingModel.class.getResourceAsStream("/all-minilm-l6-v2-tokenizer.json")) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    /** A model with input_ids, attention_mask and token_type_ids, counting {@code target} in the passage. */
    static Path write(Path dir, String name, long target, Head head) throws IOException {
        return write(dir, name, target, head, true, true);
    }

    /**
     * A model counting {@code target}; without token types it counts the whole pair, without an attention
     * mask input it counts every position (and is not a valid cross-encoder).
     */
    static Path write(Path dir, String name, long target, Head head, boolean tokenTypes, boolean attentionMask)
            throws IOException {
        List<byte[]> nodes = new ArrayList<>();
        nodes.add(node("Equal", List.of("input_ids", "target"), "is_target"));
        nodes.add(node("Cast", List.of("is_target"), "is_target_i64", intAttribute("to", INT64)));
        String counted = "is_target_i64";
        if (attentionMask) {
            nodes.add(node("Mul", List.of(counted, "attention_mask"), "masked"));
            counted = "masked";
        }
        if (tokenTypes) {
            nodes.add(node("Mul", List.of(counted, "token_type_ids"), "in_passage"));
            counted = "in_passage";
        }
        nodes.add(node("Cast", List.of(counted), "counted_f", intAttribute("to", FLOAT)));
        String count = head == Head.ONE_LOGIT ? "logits" : "count";
        nodes.add(node("ReduceSum", List.of("counted_f", "axes"), count, intAttribute("keepdims", 1)));
        long classes = switch (head) {
            case ONE_LOGIT -> 1;
            case TWO_CLASSES -> {
                nodes.add(node("Neg", List.of("count"), "negated"));
                nodes.add(node("Concat", List.of("negated", "count"), "logits", intAttribute("axis", 1)));
                yield 2;
            }
            case THREE_CLASSES -> {
                nodes.add(node("Concat", List.of("count", "count", "count"), "logits", intAttribute("axis", 1)));
                yield 3;
            }
        };

        Proto graph = new Proto();
        nodes.forEach(n -> graph.bytes(1, n));
        graph.string(2, name);
        graph.bytes(5, int64Tensor("target", new long[0], target));
        graph.bytes(5, int64Tensor("axes", new long[]{1}, 1));
        graph.bytes(11, valueInfo("input_ids", INT64, "seq"));
        if (attentionMask) {
            graph.bytes(11, valueInfo("attention_mask", INT64, "seq"));
        }
        if (tokenTypes) {
            graph.bytes(11, valueInfo("token_type_ids", INT64, "seq"));
        }
        graph.bytes(12, valueInfo("logits", FLOAT, classes));

        Proto model = new Proto();
        model.varint(1, 8); // ir_version 8
        model.bytes(7, graph.toByteArray());
        model.bytes(8, new Proto().string(1, "").varint(2, 17).toByteArray()); // opset 17, default domain
        Path file = dir.resolve(name + ".onnx");
        Files.write(file, model.toByteArray());
        return file;
    }

    private static byte[] node(String opType, List<String> inputs, String output, byte[]... attributes) {
        Proto node = new Proto();
        inputs.forEach(i -> node.string(1, i));
        node.string(2, output);
        node.string(3, output + "_" + opType);
        node.string(4, opType);
        for (byte[] a : attributes) {
            node.bytes(5, a);
        }
        return node.toByteArray();
    }

    private static byte[] intAttribute(String name, long value) {
        return new Proto().string(1, name).varint(3, value).varint(20, ATTRIBUTE_INT).toByteArray();
    }

    private static byte[] int64Tensor(String name, long[] dims, long value) {
        Proto tensor = new Proto();
        for (long d : dims) {
            tensor.varint(1, d);
        }
        tensor.varint(2, INT64);
        tensor.varint(7, value); // int64_data, one element
        tensor.string(8, name);
        return tensor.toByteArray();
    }

    /** A [batch, second] tensor value; second is a symbolic name or a fixed size. */
    private static byte[] valueInfo(String name, int elemType, Object second) {
        Proto shape = new Proto();
        shape.bytes(1, new Proto().string(2, "batch").toByteArray());
        shape.bytes(1, second instanceof String symbol ? new Proto().string(2, symbol).toByteArray()
                : new Proto().varint(1, (Long) second).toByteArray());
        Proto tensorType = new Proto().varint(1, elemType).bytes(2, shape.toByteArray());
        Proto type = new Proto().bytes(1, tensorType.toByteArray());
        return new Proto().string(1, name).bytes(2, type.toByteArray()).toByteArray();
    }

    /** The protobuf wire format's two field kinds ONNX needs here: varints and length-delimited bytes. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            rawVarint((long) field << 3);
            rawVarint(value);
            return this;
        }

        Proto bytes(int field, byte[] value) {
            rawVarint((long) field << 3 | 2);
            rawVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        private void rawVarint(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) (value & 0x7F) | 0x80);
                value >>>= 7;
            }
            out.write((int) value);
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
