package io.llmpipe.protocol;

import static io.llmpipe.protocol.KvHandoffSplitterTest.payload;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.protocol.KvHandoffException.Code;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KvHandoffAssemblerTest {

    private static final String MODEL = "fp-1";

    private final KvHandoffSplitter splitter = new KvHandoffSplitter(1000);
    private final KvMessageSerializer serializer = new KvMessageSerializer();
    private final KvMessageDeserializer deserializer = new KvMessageDeserializer();
    private final KvHandoffAssembler assembler = new KvHandoffAssembler(MODEL);

    private List<KvMessage> handoff(String requestId, byte[] payload) {
        return splitter.split(SampleMessages.header(requestId, MODEL), payload);
    }

    /** What a consumer reads: each message serialized and deserialized again. */
    private List<KvMessage> overTheWire(List<KvMessage> messages) {
        return messages.stream().map(m -> deserializer.deserialize(Topics.KV, serializer.serialize(Topics.KV, m))).toList();
    }

    /** Feeds all messages; returns the handoffs completed, in order. */
    private List<KvHandoff> feed(List<KvMessage> messages) {
        var done = new ArrayList<KvHandoff>();
        for (KvMessage message : messages) {
            assembler.accept(message).ifPresent(done::add);
        }
        return done;
    }

    private static byte[] bytes(KvHandoff handoff) {
        ByteBuffer payload = handoff.payload();
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        return bytes;
    }

    private KvHandoffException failure(List<KvMessage> messages) {
        return assertThrows(KvHandoffException.class, () -> feed(messages));
    }

    @Test
    void reassemblesEmptyOneChunkAndManyChunkPayloads() {
        for (int length : new int[] {0, 1, 999, 1000, 1001, 5_000_000}) {
            byte[] payload = payload(length, length);
            List<KvMessage> messages = overTheWire(handoff("r-" + length, payload));
            List<KvHandoff> done = feed(messages);
            assertEquals(1, done.size(), "length " + length);
            assertEquals(SampleMessages.header("r-" + length, MODEL), done.get(0).header());
            assertEquals(messages.get(0).handoffId(), done.get(0).handoffId());
            assertArrayEquals(payload, bytes(done.get(0)), "length " + length);
            assertEquals(0, assembler.inProgressCount(), "a returned handoff is forgotten");
        }
    }

    @Test
    void nothingIsReturnedBeforeTheLastChunk() {
        List<KvMessage> messages = handoff("r", payload(3500, 1));
        for (int i = 0; i < messages.size() - 1; i++) {
            assertEquals(Optional.empty(), assembler.accept(messages.get(i)));
        }
        assertTrue(assembler.accept(messages.getLast()).isPresent());
    }

    @Test
    void separatesInterleavedRequests() {
        byte[] a = payload(4200, 1);
        byte[] b = payload(2500, 2);
        byte[] c = payload(0, 3);
        List<KvMessage> ma = handoff("a", a);
        List<KvMessage> mb = handoff("b", b);
        List<KvMessage> mc = handoff("c", c);
        var interleaved = new ArrayList<KvMessage>();
        for (int i = 0; i < Math.max(ma.size(), Math.max(mb.size(), mc.size())); i++) {
            for (List<KvMessage> m : List.of(ma, mb, mc)) {
                if (i < m.size()) {
                    interleaved.add(m.get(i));
                }
            }
        }
        List<KvHandoff> done = feed(overTheWire(interleaved));
        assertEquals(List.of("c", "b", "a"), done.stream().map(h -> h.header().requestId()).toList());
        assertArrayEquals(c, bytes(done.get(0)));
        assertArrayEquals(b, bytes(done.get(1)));
        assertArrayEquals(a, bytes(done.get(2)));
    }

    @Test
    void duplicatesFromRedeliveryAreIgnored() {
        byte[] payload = payload(4500, 4);
        List<KvMessage> messages = overTheWire(handoff("r", payload));
        // Redelivery replays from an earlier offset: the start and the first chunks come twice.
        var replayed = new ArrayList<KvMessage>(messages.subList(0, 3));
        replayed.addAll(messages.subList(0, 3));
        replayed.add(messages.get(2));
        replayed.addAll(messages.subList(3, messages.size()));
        List<KvHandoff> done = feed(replayed);
        assertEquals(1, done.size());
        assertArrayEquals(payload, bytes(done.get(0)));
        assertEquals(4, assembler.ignoredMessages());
    }

    @Test
    void aHandoffDeliveredAgainInFullIsAssembledAgain() {
        List<KvMessage> messages = handoff("r", payload(1500, 5));
        assertEquals(1, feed(messages).size());
        assertEquals(1, feed(messages).size(), "the service decides whether the request still runs");
    }

    @Test
    void chunksWithoutTheirStartAreIgnored() {
        List<KvMessage> messages = handoff("r", payload(2500, 6));
        assertEquals(List.of(), feed(messages.subList(1, messages.size())));
        assertEquals(3, assembler.ignoredMessages());
        assertEquals(0, assembler.inProgressCount());
    }

    @Test
    void aFlippedByteFailsTheChecksum() {
        List<KvMessage> messages = handoff("r", payload(3000, 7));
        byte[] value = serializer.serialize(Topics.KV, messages.get(2));
        value[value.length - 10] ^= 0x10;
        var corrupted = new ArrayList<>(messages);
        corrupted.set(2, deserializer.deserialize(Topics.KV, value));
        KvHandoffException e = failure(corrupted);
        assertEquals(Code.CHECKSUM_MISMATCH, e.code());
        assertEquals("r", e.requestId());
        assertEquals(0, assembler.inProgressCount(), "a failed handoff is dropped");
    }

    @Test
    void aMissingChunkIsDetectedAtTheNextOne() {
        var messages = new ArrayList<>(handoff("r", payload(3000, 8)));
        messages.remove(2);
        KvHandoffException e = failure(messages);
        assertEquals(Code.MISSING_CHUNK, e.code());
        assertTrue(e.getMessage().contains("chunk 2 arrived while chunk 1 was expected"), e.getMessage());
        assertEquals(0, assembler.inProgressCount());
        // The rest of the failed handoff is ignored rather than failing again.
        assertEquals(Optional.empty(), assembler.accept(messages.getLast()));
    }

    @Test
    void aHandoffFromAnotherModelIsRefused() {
        List<KvMessage> other = splitter.split(SampleMessages.header("r", "fp-2"), payload(2500, 9));
        KvHandoffException e = assertThrows(KvHandoffException.class, () -> assembler.accept(other.get(0)));
        assertEquals(Code.MODEL_MISMATCH, e.code());
        assertTrue(e.getMessage().contains("fp-2"), e.getMessage());
        // Its chunks find no handoff in progress.
        assertEquals(List.of(), feed(other.subList(1, other.size())));
    }

    @Test
    void aChunkOfAnotherAttemptDoesNotMixIn() {
        byte[] payload = payload(3000, 10);
        List<KvMessage> mine = handoff("r", payload);
        List<KvMessage> stray = handoff("r", payload(3000, 11));
        var messages = new ArrayList<KvMessage>(mine.subList(0, 2));
        messages.add(stray.get(2)); // same request, same index, different attempt
        messages.addAll(mine.subList(2, mine.size()));
        List<KvHandoff> done = feed(messages);
        assertEquals(1, done.size());
        assertArrayEquals(payload, bytes(done.get(0)));
        assertEquals(1, assembler.ignoredMessages());
    }

    @Test
    void aNewAttemptReplacesTheOneInProgress() {
        byte[] second = payload(2500, 13);
        List<KvMessage> first = handoff("r", payload(2500, 12));
        List<KvMessage> retry = handoff("r", second);
        var messages = new ArrayList<KvMessage>(first.subList(0, 2)); // prefill crashed after one chunk
        messages.addAll(retry);
        messages.addAll(first.subList(2, first.size())); // a slow first attempt goes on writing
        List<KvHandoff> done = feed(messages);
        assertEquals(1, done.size());
        assertEquals(retry.get(0).handoffId(), done.get(0).handoffId());
        assertArrayEquals(second, bytes(done.get(0)));
    }

    @Test
    void aDuplicateThatDiffersIsAConflict() {
        List<KvMessage> messages = handoff("r", payload(3000, 14));
        KvChunk original = (KvChunk) messages.get(1);
        byte[] other = payload(original.payloadLength(), 15);
        KvChunk forged = KvChunk.of("r", original.handoffId(), 0, original.chunkCount(), 0L, ByteBuffer.wrap(other));
        var withForgery = new ArrayList<>(messages.subList(0, 3));
        withForgery.add(forged);
        assertEquals(Code.DUPLICATE_CONFLICT, failure(withForgery).code());

        KvHandoffStart start = (KvHandoffStart) messages.get(0);
        KvHandoffStart changed = new KvHandoffStart(start.handoffId(), start.payloadLength(), start.chunkCount(),
                SampleMessages.header("r", MODEL + "x"));
        assertEquals(Code.DUPLICATE_CONFLICT, failure(List.of(start, changed)).code());
    }

    @Test
    void chunksMustAgreeWithTheirStart() {
        List<KvMessage> messages = handoff("r", payload(2500, 16));
        KvHandoffStart start = (KvHandoffStart) messages.get(0);
        KvChunk first = (KvChunk) messages.get(1);

        KvChunk wrongCount = KvChunk.of("r", start.handoffId(), 0, 5, 0L, first.payload());
        assertEquals(Code.CHUNK_MISMATCH, failure(List.of(start, wrongCount)).code());

        KvChunk wrongOffset = KvChunk.of("r", start.handoffId(), 0, 3, 7L, first.payload());
        assertEquals(Code.CHUNK_MISMATCH, failure(List.of(start, wrongOffset)).code());

        // The chunks end short of the announced length.
        KvHandoffStart longer = new KvHandoffStart(start.handoffId(), 2600, 3, start.header());
        var shortChunks = new ArrayList<KvMessage>(List.of(longer));
        shortChunks.addAll(messages.subList(1, messages.size()));
        KvHandoffException e = failure(shortChunks);
        assertEquals(Code.CHUNK_MISMATCH, e.code());
        assertTrue(e.getMessage().contains("2500"), e.getMessage());

        // A chunk running past the announced length.
        KvHandoffStart shorter = new KvHandoffStart(start.handoffId(), 1500, 3, start.header());
        var longChunks = new ArrayList<KvMessage>(List.of(shorter));
        longChunks.addAll(messages.subList(1, messages.size()));
        assertEquals(Code.CHUNK_MISMATCH, failure(longChunks).code());
    }

    @Test
    void refusesPayloadsAboveItsLimit() {
        var small = new KvHandoffAssembler(MODEL, 1000, InstantSource.system());
        List<KvMessage> messages = handoff("r", payload(1001, 17));
        KvHandoffException e = assertThrows(KvHandoffException.class, () -> small.accept(messages.get(0)));
        assertEquals(Code.PAYLOAD_TOO_LARGE, e.code());
        assertEquals(1, feedTo(small, handoff("s", payload(1000, 18))).size());
    }

    @Test
    void stalledHandoffsExpire() {
        var clock = new ManualClock();
        var timed = new KvHandoffAssembler(MODEL, KvHandoffAssembler.DEFAULT_MAX_PAYLOAD_BYTES, clock);
        List<KvMessage> early = handoff("early", payload(2500, 19));
        feedTo(timed, early.subList(0, 2));
        clock.now = clock.now.plusSeconds(30);
        List<KvMessage> late = handoff("late", payload(2500, 20));
        feedTo(timed, late.subList(0, 2));
        clock.now = clock.now.plusSeconds(31);

        List<KvHandoffException> expired = timed.expire(Duration.ofSeconds(60));
        assertEquals(1, expired.size());
        assertEquals("early", expired.get(0).requestId());
        assertEquals(Code.MISSING_CHUNK, expired.get(0).code());
        assertTrue(expired.get(0).getMessage().contains("1 of 3 chunks"), expired.get(0).getMessage());
        assertEquals(1, timed.inProgressCount());
        assertEquals(1, feedTo(timed, late.subList(2, late.size())).size());
    }

    @Test
    void abandonAndClearDropHandoffsInProgress() {
        List<KvMessage> a = handoff("a", payload(2500, 21));
        List<KvMessage> b = handoff("b", payload(2500, 22));
        feed(List.of(a.get(0), b.get(0)));
        assertTrue(assembler.abandon("a"));
        assertTrue(!assembler.abandon("a"));
        assertEquals(1, assembler.inProgressCount());
        assembler.clear();
        assertEquals(0, assembler.inProgressCount());
        assertEquals(List.of(), feed(b.subList(1, b.size())));
    }

    private static List<KvHandoff> feedTo(KvHandoffAssembler assembler, List<KvMessage> messages) {
        var done = new ArrayList<KvHandoff>();
        for (KvMessage message : messages) {
            assembler.accept(message).ifPresent(done::add);
        }
        return done;
    }

    private static final class ManualClock implements InstantSource {
        Instant now = Instant.parse("2026-11-22T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }
    }
}
