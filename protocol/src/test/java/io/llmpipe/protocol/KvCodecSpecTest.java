package io.llmpipe.protocol;

import static io.llmpipe.protocol.GenerationRequestTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class KvCodecSpecTest {

    @Test
    void kiviZerosBecomeTheDefaults() {
        KvCodecSpec spec = KvCodecSpec.of(KvCodec.KIVI2);
        assertEquals(KvCodecSpec.DEFAULT_KIVI_GROUP_SIZE, spec.groupSize());
        assertEquals(KvCodecSpec.DEFAULT_KIVI_RESIDUAL_LENGTH, spec.residualLength());
        assertEquals(new KvCodecSpec(KvCodec.KIVI4, 64, 256), new KvCodecSpec(KvCodec.KIVI4, 64, 256));
    }

    @Test
    void fullPrecisionCodecsTakeNoParameters() {
        assertMessage("fp16", () -> new KvCodecSpec(KvCodec.FP16, 32, 0));
        assertMessage("groupSize", () -> new KvCodecSpec(KvCodec.KIVI4, -1, 0));
    }

    @Test
    void wireNamesRoundTrip() {
        for (KvCodec codec : KvCodec.values()) {
            assertEquals(codec, KvCodec.fromWireName(codec.wireName()));
        }
        for (AttentionMode mode : AttentionMode.values()) {
            assertEquals(mode, AttentionMode.fromWireName(mode.wireName()));
        }
        assertThrows(IllegalArgumentException.class, () -> KvCodec.fromWireName("FP32"));
        assertThrows(IllegalArgumentException.class, () -> AttentionMode.fromWireName("sparse"));
    }
}
