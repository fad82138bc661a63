/**
 * The Kafka message contracts of the pipeline: one record per message type, its serdes, topic names.
 *
 * <h2>Topics</h2>
 * Every record's key is the request id (a UTF-8 string, at most
 * {@link io.llmpipe.protocol.ProtocolLimits#MAX_REQUEST_ID_CHARS} chars), so all records of one request
 * share a partition and keep their order.
 * <table>
 * <caption>values and serdes per topic</caption>
 * <tr><th>topic</th><th>value</th><th>format</th><th>serializer / deserializer</th></tr>
 * <tr><td>{@code llm.requests}</td><td>{@link io.llmpipe.protocol.GenerationRequest}</td><td>JSON</td>
 *     <td>{@link io.llmpipe.protocol.GenerationRequestSerializer} / {@link io.llmpipe.protocol.GenerationRequestDeserializer}</td></tr>
 * <tr><td>{@code llm.kv}</td><td>{@link io.llmpipe.protocol.KvMessage}: a
 *     {@link io.llmpipe.protocol.KvHandoffStart} then {@link io.llmpipe.protocol.KvChunk}s</td><td>binary</td>
 *     <td>{@link io.llmpipe.protocol.KvMessageSerializer} / {@link io.llmpipe.protocol.KvMessageDeserializer}</td></tr>
 * <tr><td>{@code llm.tokens}</td><td>{@link io.llmpipe.protocol.TokenEvent}</td><td>JSON</td>
 *     <td>{@link io.llmpipe.protocol.TokenEventSerializer} / {@link io.llmpipe.protocol.TokenEventDeserializer}</td></tr>
 * <tr><td>{@code llm.control}</td><td>{@link io.llmpipe.protocol.ControlMessage}</td><td>JSON</td>
 *     <td>{@link io.llmpipe.protocol.ControlMessageSerializer} / {@link io.llmpipe.protocol.ControlMessageDeserializer}</td></tr>
 * </table>
 * Keys use Kafka's {@code StringSerializer}/{@code StringDeserializer}.
 *
 * <h2>Versions and compatibility</h2>
 * Each JSON message carries {@code schemaVersion}, the major version of its type; the KV format
 * carries one in its prefix. A compatible change (a new optional field) keeps the version: readers
 * ignore fields they do not know, and a field that is absent or {@code null} takes its documented
 * default. An incompatible change raises the version; readers reject versions newer than theirs, so
 * deploy consumers before producers.
 *
 * <h2>Malformed records</h2>
 * Every deserializer throws {@link io.llmpipe.protocol.MalformedRecordException} (a Kafka
 * {@code SerializationException}) for a value it cannot accept: the consumer logs it, forwards the raw
 * record to the topic's dead-letter topic ({@link io.llmpipe.protocol.Topics#deadLetter}) and goes on.
 * Field ranges are checked by the records' constructors, so a record that exists is valid.
 *
 * <h2>KV handoff</h2>
 * Prefill builds a {@link io.llmpipe.protocol.KvHandoffHeader} (for instance with
 * {@link io.llmpipe.protocol.KvHandoffHeader#afterPrefill}), has the engine encode the cache into one
 * buffer, and sends the messages of {@link io.llmpipe.protocol.KvHandoffSplitter#split} in order.
 * Decode feeds every record it reads to a {@link io.llmpipe.protocol.KvHandoffAssembler}, which returns
 * a {@link io.llmpipe.protocol.KvHandoff} once complete or throws a
 * {@link io.llmpipe.protocol.KvHandoffException} with a code.
 */
package io.llmpipe.protocol;
