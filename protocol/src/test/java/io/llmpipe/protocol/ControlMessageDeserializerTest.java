package io.llmpipe.protocol;

import static io.llmpipe.protocol.GenerationRequestDeserializerTest.assertMalformed;
import static io.llmpipe.protocol.GenerationRequestTest.assertMessage;
import static io.llmpipe.protocol.SampleMessages.edit;
import static io.llmpipe.protocol.SampleMessages.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ControlMessageDeserializerTest {

    private final ControlMessageSerializer serializer = new ControlMessageSerializer();
    private final ControlMessageDeserializer deserializer = new ControlMessageDeserializer();

    private static final String CANCEL_V1 = """
            {"schemaVersion":1,"requestId":"chatcmpl-42","type":"CANCEL","reason":"client disconnected",
             "timestampEpochMillis":1795000001000}""";
    private static final ControlMessage CANCEL =
            ControlMessage.cancel("chatcmpl-42", "client disconnected", 1_795_000_001_000L);

    @Test
    void roundTrips() {
        assertEquals(CANCEL, deserializer.deserialize(Topics.CONTROL, serializer.serialize(Topics.CONTROL, CANCEL)));
        ControlMessage noReason = ControlMessage.cancel("r", null, 0L);
        assertEquals("", noReason.reason());
        assertEquals(noReason, deserializer.deserialize(Topics.CONTROL, serializer.serialize(Topics.CONTROL, noReason)));
    }

    @Test
    void readsAndWritesTheVersion1WireFormat() throws Exception {
        assertEquals(CANCEL, deserializer.deserialize(Topics.CONTROL, utf8(CANCEL_V1)));
        assertEquals(ProtocolJson.MAPPER.readTree(CANCEL_V1),
                ProtocolJson.MAPPER.readTree(serializer.serialize(Topics.CONTROL, CANCEL)));
    }

    @Test
    void ignoresUnknownFields() {
        assertEquals(CANCEL, deserializer.deserialize(Topics.CONTROL,
                utf8(CANCEL_V1.replace("\"type\"", "\"origin\":\"gateway-1\",\"type\""))));
    }

    @Test
    void validatesFields() {
        assertMessage("requestId", () -> ControlMessage.cancel("", "x", 0L));
        assertMessage("timestampEpochMillis", () -> ControlMessage.cancel("r", "x", -1L));
        assertMessage("type", () -> new ControlMessage(1, "r", null, "x", 0L));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            newer version    | "schemaVersion":1            | "schemaVersion":2            | newer
            unknown type     | "type":"CANCEL"              | "type":"PAUSE"               | type
            lower-case type  | "type":"CANCEL"              | "type":"cancel"              | type
            missing type     | "type":"CANCEL",             |                              | type
            missing time     | "timestampEpochMillis"       | "ts"                         | timestampEpochMillis
            not JSON         | {                            | <                            | not JSON
            """)
    void rejectsMalformedMessages(String what, String original, String replacement, String reason) {
        assertMalformed(deserializer, Topics.CONTROL,
                edit(CANCEL_V1, original, replacement), reason);
    }

    @Test
    void randomCorruptionsFailCleanly() {
        SampleMessages.assertCorruptionsFailCleanly(deserializer, Topics.CONTROL, utf8(CANCEL_V1), 4L);
    }
}
