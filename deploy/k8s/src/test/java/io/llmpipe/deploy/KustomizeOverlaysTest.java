package io.llmpipe.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.llmpipe.protocol.Topics;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Renders every overlay under deploy/k8s/overlays with {@code kubectl kustomize} and checks the
 * objects against the services' real configuration, read from the repository: HTTP ports from each
 * application.properties, health paths from service-support's HealthResource, topic names from
 * {@link Topics}, consumer groups from the services' incoming channels, images from the modules and
 * their Dockerfiles. A setting changed in a service and not in the manifests fails here.
 */
class KustomizeOverlaysTest {
    /** The Quarkus services, each its own module, image and workload of the same name. */
    private static final List<String> SERVICES = List.of("gateway", "prefill-service", "decode-service", "retrieval-service");
    /** The services whose replicas KEDA sets from Kafka lag. */
    private static final List<String> LAG_SCALED = List.of("prefill-service", "decode-service");
    /** The services that serve the model (memory-map the file from the model volume). */
    private static final List<String> MODEL_USERS = List.of("gateway", "prefill-service", "decode-service");
    /** How long the Kafka connector may wait for unprocessed records on shutdown: twice auto.commit.interval.ms (5 s). */
    private static final Duration CONNECTOR_CLOSE = Duration.ofSeconds(10);

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, List<JsonNode>> RENDERED = new ConcurrentHashMap<>();

    private static Path repo;
    private static String kubectl;
    private static Map<String, Properties> appProperties;
    private static String livePath;
    private static String readyPath;

    @BeforeAll
    static void readRepository() throws IOException {
        repo = Path.of(System.getProperty("llmpipe.repo.dir", "../..")).toAbsolutePath().normalize();
        kubectl = findKubectl();
        appProperties = new HashMap<>();
        for (String s : SERVICES) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(repo.resolve(s).resolve("src/main/resources/application.properties"))) {
                p.load(in);
            }
            appProperties.put(s, p);
        }
        // the paths HealthResource serves: its class @Path plus the method @Paths "live" and "ready"
        String health = Files.readString(repo.resolve("service-support/src/main/java/io/llmpipe/service/HealthResource.java"));
        Matcher root = Pattern.compile("@Path\\(\"([^\"]+)\"\\)\\s*public class").matcher(health);
        assertTrue(root.find(), "HealthResource has a class-level @Path");
        Set<String> sub = new java.util.HashSet<>();
        Matcher m = Pattern.compile("@Path\\(\"(\\w+)\"\\)").matcher(health);
        while (m.find()) {
            sub.add(m.group(1));
        }
        assertTrue(sub.containsAll(Set.of("live", "ready")), "HealthResource serves live and ready: " + sub);
        livePath = root.group(1) + "/live";
        readyPath = root.group(1) + "/ready";
    }

    static Stream<String> overlays() throws IOException {
        Path dir = Path.of(System.getProperty("llmpipe.repo.dir", "../..")).resolve("deploy/k8s/overlays");
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.exists(p.resolve("kustomization.yaml"))).map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    @Test
    void devAndProdOverlaysExist() throws IOException {
        assertEquals(List.of("dev", "prod"), overlays().filter(o -> o.equals("dev") || o.equals("prod")).toList());
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyServiceRunsItsModulesImageOnItsPort(String overlay) throws Exception {
        List<JsonNode> objects = render(overlay);
        for (String service : SERVICES) {
            JsonNode workload = workload(objects, service);
            JsonNode container = mainContainer(workload, service);
            String image = container.path("image").asText();
            String repository = image.replaceFirst("[:@].*$", "");
            assertTrue(repository.equals("llmpipe/" + service) || repository.endsWith("/llmpipe/" + service),
                    overlay + ": " + service + " runs the image llmpipe/" + service + " (any registry), not " + image);
            assertTrue(Files.exists(repo.resolve(service).resolve("src/main/docker/Dockerfile.jvm")), service + " has a Dockerfile");

            int port = httpPort(service);
            assertEquals(port, containerPort(container, "http"), overlay + ": " + service + " container port http = quarkus.http.port");
            JsonNode svc = find(objects, "Service", service);
            assertNotNull(svc, overlay + ": a Service named " + service);
            assertEquals(workload.at("/spec/template/metadata/labels/app.kubernetes.io~1name").asText(),
                    svc.at("/spec/selector/app.kubernetes.io~1name").asText(), overlay + ": the Service selects " + service + "'s pods");
            JsonNode servicePort = svc.at("/spec/ports/0");
            assertEquals(port, resolvePort(container, servicePort.path("targetPort")), overlay + ": " + service + " Service targets its port");

            Map<String, String> env = environment(objects, container);
            // Quarkus binds 127.0.0.1 in application.properties: probes and peers need every interface
            assertEquals("0.0.0.0", env.get("QUARKUS_HTTP_HOST"), overlay + ": " + service + " binds 0.0.0.0");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyContainerHasProbesOnTheHealthPathsAndResources(String overlay) throws Exception {
        List<JsonNode> objects = render(overlay);
        for (JsonNode w : podOwners(objects)) {
            String name = w.at("/metadata/name").asText();
            JsonNode pod = podSpec(w);
            for (String list : List.of("initContainers", "containers")) {
                for (JsonNode c : pod.path(list)) {
                    String where = overlay + ": " + w.path("kind").asText() + " " + name + " container " + c.path("name").asText();
                    JsonNode r = c.path("resources");
                    for (String q : List.of("cpu", "memory")) {
                        assertFalse(r.at("/requests/" + q).isMissingNode(), where + " requests " + q);
                    }
                    assertFalse(r.at("/limits/memory").isMissingNode(), where + " has a memory limit");
                    assertFalse(r.at("/limits/cpu").isMissingNode(), where + " has a cpu limit");
                }
            }
        }
        for (String service : SERVICES) {
            JsonNode container = mainContainer(workload(objects, service), service);
            int port = httpPort(service);
            Map<String, String> expected = Map.of("startupProbe", livePath, "livenessProbe", livePath, "readinessProbe", readyPath);
            for (var e : expected.entrySet()) {
                JsonNode get = container.path(e.getKey()).path("httpGet");
                String where = overlay + ": " + service + " " + e.getKey();
                assertFalse(get.isMissingNode(), where + " is an HTTP probe");
                assertEquals(e.getValue(), get.path("path").asText(), where + " path");
                assertEquals(port, resolvePort(container, get.path("port")), where + " port");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void podsRunAsNonRootOnAReadOnlyRootFilesystem(String overlay) throws Exception {
        for (JsonNode w : podOwners(render(overlay))) {
            JsonNode pod = podSpec(w);
            String name = overlay + ": " + w.path("kind").asText() + " " + w.at("/metadata/name").asText();
            assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean(), name + " runs as non-root");
            assertTrue(pod.at("/securityContext/runAsUser").asInt() > 0, name + " names a non-root uid");
            for (String list : List.of("initContainers", "containers")) {
                for (JsonNode c : pod.path(list)) {
                    String where = name + " container " + c.path("name").asText();
                    assertTrue(c.at("/securityContext/readOnlyRootFilesystem").asBoolean(), where + " has a read-only root filesystem");
                    assertEquals("false", c.at("/securityContext/allowPrivilegeEscalation").asText(), where + " cannot escalate");
                }
            }
        }
        List<JsonNode> objects = render(overlay);
        for (String service : SERVICES) {
            JsonNode w = workload(objects, service);
            String tmpVolume = mountedVolume(mainContainer(w, service), "/tmp");
            assertNotNull(tmpVolume, overlay + ": " + service + " mounts a writable /tmp (native libraries are extracted there)");
            assertTrue(volume(w, tmpVolume).has("emptyDir"), overlay + ": " + service + "'s /tmp is an emptyDir");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyTopicHasAKafkaTopic(String overlay) throws Exception {
        List<JsonNode> objects = render(overlay);
        JsonNode kafka = objects.stream().filter(o -> o.path("kind").asText().equals("Kafka")).findFirst().orElse(null);
        assertNotNull(kafka, overlay + ": a Strimzi Kafka");
        String cluster = kafka.at("/metadata/name").asText();
        int brokers = 0;
        for (JsonNode pool : ofKind(objects, "KafkaNodePool")) {
            assertEquals(cluster, pool.at("/metadata/labels/strimzi.io~1cluster").asText(), "node pool of the cluster");
            boolean broker = false;
            for (JsonNode role : pool.at("/spec/roles")) {
                broker |= role.asText().equals("broker");
            }
            brokers += broker ? pool.at("/spec/replicas").asInt() : 0;
        }
        assertTrue(brokers > 0, overlay + ": the Kafka has brokers (KRaft node pools)");
        Map<String, JsonNode> topics = kafkaTopics(objects);
        List<String> expected = new ArrayList<>();
        for (String t : Topics.ALL) {
            expected.add(t);
            expected.add(Topics.deadLetter(t));
        }
        for (Properties p : appProperties.values()) {
            for (String key : p.stringPropertyNames()) {
                if (key.endsWith(".dead-letter-queue.topic") || (key.startsWith("mp.messaging.") && key.endsWith(".topic"))) {
                    expected.add(p.getProperty(key));
                }
            }
        }
        for (String t : expected) {
            JsonNode topic = topics.get(t);
            assertNotNull(topic, overlay + ": a KafkaTopic for " + t);
            assertEquals(cluster, topic.at("/metadata/labels/strimzi.io~1cluster").asText(), overlay + ": " + t + " belongs to the cluster");
            int replicas = topic.at("/spec/replicas").asInt();
            assertTrue(replicas >= 1 && replicas <= brokers, overlay + ": " + t + " has " + replicas + " replicas on " + brokers + " brokers");
            assertTrue(topic.at("/spec/partitions").asInt() >= 1, overlay + ": " + t + " has partitions");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void prefillAndDecodeScaleOnTheirOwnGroupsLagWithinThePartitionCount(String overlay) throws Exception {
        List<JsonNode> objects = render(overlay);
        Map<String, JsonNode> topics = kafkaTopics(objects);
        Set<String> groups = new java.util.HashSet<>();
        for (String service : LAG_SCALED) {
            JsonNode so = ofKind(objects, "ScaledObject").stream()
                    .filter(o -> o.at("/spec/scaleTargetRef/name").asText().equals(service)).findFirst().orElse(null);
            assertNotNull(so, overlay + ": a ScaledObject scales " + service);
            assertEquals(1, so.at("/spec/triggers").size(), overlay + ": " + service + " scales on one trigger");
            JsonNode trigger = so.at("/spec/triggers/0");
            assertEquals("kafka", trigger.path("type").asText());
            JsonNode md = trigger.path("metadata");
            String topic = md.path("topic").asText();
            String group = md.path("consumerGroup").asText();
            assertEquals(incomingGroups(service).get(topic), group,
                    overlay + ": " + service + "'s trigger reads the lag of the group that consumes " + topic + " in its application.properties");
            groups.add(group);
            int maxReplicas = so.at("/spec/maxReplicaCount").asInt();
            int minReplicas = so.at("/spec/minReplicaCount").asInt(0);
            JsonNode kt = topics.get(topic);
            assertNotNull(kt, overlay + ": a KafkaTopic for " + topic);
            int partitions = kt.at("/spec/partitions").asInt();
            assertTrue(maxReplicas >= Math.max(1, minReplicas), overlay + ": " + service + " max replicas " + maxReplicas);
            assertTrue(partitions >= maxReplicas, overlay + ": " + topic + " has " + partitions + " partitions, fewer than "
                    + service + "'s " + maxReplicas + " replicas (the extra ones would idle)");
            assertEquals("false", md.path("allowIdleConsumers").asText("false"), overlay + ": no idle consumers");
            assertTrue(Integer.parseInt(md.path("lagThreshold").asText()) > 0, overlay + ": " + service + " lag threshold per replica");
            Map<String, String> env = environment(objects, mainContainer(workload(objects, service), service));
            assertEquals(env.get("KAFKA_BOOTSTRAP_SERVERS"), md.path("bootstrapServers").asText(),
                    overlay + ": KEDA reads the cluster " + service + " uses");
            String auth = trigger.at("/authenticationRef/name").asText();
            assertNotNull(find(objects, "TriggerAuthentication", auth), overlay + ": " + service + "'s TriggerAuthentication " + auth);
        }
        assertEquals(LAG_SCALED.size(), groups.size(), overlay + ": prefill and decode scale independently, on different groups");
        boolean gatewayScaled = ofKind(objects, "HorizontalPodAutoscaler").stream()
                .anyMatch(h -> h.at("/spec/scaleTargetRef/name").asText().equals("gateway"))
                || ofKind(objects, "ScaledObject").stream().anyMatch(s -> s.at("/spec/scaleTargetRef/name").asText().equals("gateway"));
        assertTrue(gatewayScaled, overlay + ": the gateway is autoscaled");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyServiceHasADisruptionBudgetAndDecodeTimeToDrain(String overlay) throws Exception {
        List<JsonNode> objects = render(overlay);
        for (String service : SERVICES) {
            JsonNode labels = workload(objects, service).at("/spec/template/metadata/labels");
            boolean covered = ofKind(objects, "PodDisruptionBudget").stream().anyMatch(pdb -> {
                var it = pdb.at("/spec/selector/matchLabels").fields();
                boolean any = it.hasNext();
                while (it.hasNext()) {
                    var e = it.next();
                    if (!e.getValue().asText().equals(labels.path(e.getKey()).asText())) {
                        return false;
                    }
                }
                return any;
            });
            assertTrue(covered, overlay + ": a PodDisruptionBudget covers " + service);
        }
        JsonNode decode = workload(objects, "decode-service");
        Map<String, String> env = environment(objects, mainContainer(decode, "decode-service"));
        String drainSetting = env.getOrDefault("LLMPIPE_DECODE_DRAIN_TIMEOUT",
                appProperties.get("decode-service").getProperty("llmpipe.decode.drain-timeout"));
        assertNotNull(drainSetting, "decode's drain timeout is set");
        Duration drain = Duration.parse(drainSetting);
        long grace = decode.at("/spec/template/spec/terminationGracePeriodSeconds").asLong(30);
        assertTrue(grace >= drain.plus(CONNECTOR_CLOSE).toSeconds(), overlay + ": decode's grace period " + grace
                + " s leaves time to drain (" + drain + ") and close the Kafka connector (" + CONNECTOR_CLOSE + ")");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void volumesHoldTheModelAndTheCollections(String overlay) throws Exception {
        List<JsonNode> objects = render(overlay);
        for (String service : MODEL_USERS) {
            JsonNode w = workload(objects, service);
            JsonNode container = mainContainer(w, service);
            String model = environment(objects, container).get("LLMPIPE_MODEL_PATH");
            assertNotNull(model, overlay + ": " + service + " is told where the model is");
            String mount = Path.of(model).getParent().toString();
            String vol = mountedVolume(container, mount);
            assertNotNull(vol, overlay + ": " + service + " mounts " + mount);
            String claim = volume(w, vol).at("/persistentVolumeClaim/claimName").asText();
            assertNotNull(find(objects, "PersistentVolumeClaim", claim), overlay + ": " + service + "'s model comes from the claim " + claim);
        }
        JsonNode retrieval = workload(objects, "retrieval-service");
        assertEquals("StatefulSet", retrieval.path("kind").asText(), overlay + ": retrieval-service is a StatefulSet");
        String dataDir = environment(objects, mainContainer(retrieval, "retrieval-service")).get("LLMPIPE_RETRIEVAL_DATA_DIR");
        assertNotNull(dataDir, overlay + ": retrieval-service's llmpipe.retrieval.data-dir is set");
        String vol = mountedVolume(mainContainer(retrieval, "retrieval-service"), dataDir);
        assertNotNull(vol, overlay + ": something is mounted at " + dataDir);
        boolean fromTemplate = false;
        for (JsonNode t : retrieval.at("/spec/volumeClaimTemplates")) {
            fromTemplate |= t.at("/metadata/name").asText().equals(vol);
        }
        assertTrue(fromTemplate, overlay + ": " + dataDir + " is a volumeClaimTemplate's volume");
    }

    @Test
    void prodPutsPrefillOnAGpu() throws Exception {
        List<JsonNode> objects = render("prod");
        JsonNode prefill = workload(objects, "prefill-service");
        JsonNode limits = mainContainer(prefill, "prefill-service").at("/resources/limits");
        boolean gpu = false;
        for (var it = limits.fieldNames(); it.hasNext(); ) {
            String r = it.next();
            gpu |= r.endsWith("/gpu") && limits.path(r).asInt() == 1;
        }
        assertTrue(gpu, "prod: prefill asks for one GPU");
        assertFalse(prefill.at("/spec/template/spec/nodeSelector").isEmpty(), "prod: prefill selects GPU nodes");
        assertFalse(prefill.at("/spec/template/spec/tolerations").isEmpty(), "prod: prefill tolerates the GPU nodes' taint");
    }

    // --- rendering and lookups

    private static synchronized List<JsonNode> render(String overlay) throws Exception {
        List<JsonNode> cached = RENDERED.get(overlay);
        if (cached != null) {
            return cached;
        }
        Path dir = repo.resolve("deploy/k8s/overlays").resolve(overlay);
        Process p = new ProcessBuilder(kubectl, "kustomize", dir.toString()).redirectErrorStream(false).start();
        byte[] out;
        byte[] err;
        try (InputStream o = p.getInputStream(); InputStream e = p.getErrorStream()) {
            var errRead = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return e.readAllBytes();
                } catch (IOException x) {
                    return new byte[0];
                }
            });
            out = o.readAllBytes();
            err = errRead.get(60, TimeUnit.SECONDS);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize " + overlay + " finishes");
        if (p.exitValue() != 0) {
            fail("kubectl kustomize " + dir + " failed (exit " + p.exitValue() + "):\n" + new String(err, StandardCharsets.UTF_8));
        }
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(new StringReader(new String(out, StandardCharsets.UTF_8)))) {
            for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
                JsonNode n = it.next();
                if (n != null && !n.isMissingNode() && !n.isNull()) {
                    docs.add(n);
                }
            }
        }
        assertFalse(docs.isEmpty(), overlay + " renders objects");
        RENDERED.put(overlay, List.copyOf(docs));
        return RENDERED.get(overlay);
    }

    /** -Dllmpipe.kubectl, else kubectl on the PATH or where these machines have it; missing is a failure, never a skip. */
    private static String findKubectl() {
        List<Path> candidates = new ArrayList<>();
        String chosen = System.getProperty("llmpipe.kubectl");
        if (chosen != null) {
            candidates.add(Path.of(chosen));
        }
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && chosen == null) {
                candidates.add(Path.of(d, "kubectl"));
            }
        }
        if (chosen == null) {
            candidates.add(Path.of("/usr/bin/kubectl"));
            candidates.add(Path.of("/usr/local/bin/kubectl"));
        }
        for (Path c : candidates) {
            if (Files.isExecutable(c)) {
                return c.toString();
            }
        }
        fail("kubectl is not installed: the deploy/k8s tests render the overlays with `kubectl kustomize` "
                + "(kubectl 1.32 or later, with kustomize 5.5). Install it (see .ci/run) and run again.");
        return null;
    }

    private static List<JsonNode> ofKind(List<JsonNode> objects, String kind) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    private static JsonNode find(List<JsonNode> objects, String kind, String name) {
        return objects.stream().filter(o -> o.path("kind").asText().equals(kind) && o.at("/metadata/name").asText().equals(name))
                .findFirst().orElse(null);
    }

    private static List<JsonNode> podOwners(List<JsonNode> objects) {
        return objects.stream().filter(o -> Set.of("Deployment", "StatefulSet", "Job", "DaemonSet").contains(o.path("kind").asText())).toList();
    }

    private static JsonNode podSpec(JsonNode owner) {
        return owner.at("/spec/template/spec");
    }

    private static JsonNode workload(List<JsonNode> objects, String service) {
        JsonNode w = find(objects, "Deployment", service);
        if (w == null) {
            w = find(objects, "StatefulSet", service);
        }
        assertNotNull(w, "a Deployment or StatefulSet named " + service);
        return w;
    }

    private static JsonNode mainContainer(JsonNode workload, String service) {
        for (JsonNode c : podSpec(workload).path("containers")) {
            if (c.path("name").asText().equals(service)) {
                return c;
            }
        }
        fail(service + " has a container named " + service);
        return null;
    }

    private static int httpPort(String service) {
        String port = appProperties.get(service).getProperty("quarkus.http.port");
        assertNotNull(port, service + " sets quarkus.http.port");
        return Integer.parseInt(port.trim());
    }

    private static int containerPort(JsonNode container, String name) {
        for (JsonNode p : container.path("ports")) {
            if (p.path("name").asText().equals(name)) {
                return p.path("containerPort").asInt();
            }
        }
        fail(container.path("name").asText() + " has a port named " + name);
        return -1;
    }

    /** A probe's or Service's port: a number, or the name of one of the container's ports. */
    private static int resolvePort(JsonNode container, JsonNode port) {
        return port.isInt() ? port.asInt() : port.asText().matches("\\d+") ? Integer.parseInt(port.asText()) : containerPort(container, port.asText());
    }

    /** The container's environment: envFrom ConfigMaps in order, then env literals (as Kubernetes resolves them). */
    private static Map<String, String> environment(List<JsonNode> objects, JsonNode container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode from : container.path("envFrom")) {
            String cm = from.at("/configMapRef/name").asText(null);
            if (cm != null) {
                JsonNode map = find(objects, "ConfigMap", cm);
                assertNotNull(map, "the ConfigMap " + cm + " that " + container.path("name").asText() + " reads exists");
                map.path("data").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
            }
        }
        for (JsonNode e : container.path("env")) {
            if (e.has("value")) {
                env.put(e.path("name").asText(), e.path("value").asText());
            }
        }
        return env;
    }

    private static String mountedVolume(JsonNode container, String path) {
        for (JsonNode m : container.path("volumeMounts")) {
            if (m.path("mountPath").asText().equals(path)) {
                return m.path("name").asText();
            }
        }
        return null;
    }

    private static JsonNode volume(JsonNode workload, String name) {
        for (JsonNode v : podSpec(workload).path("volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        fail(workload.at("/metadata/name").asText() + " has a volume " + name);
        return null;
    }

    /** KafkaTopics by the Kafka topic name they create (spec.topicName, else metadata.name). */
    private static Map<String, JsonNode> kafkaTopics(List<JsonNode> objects) {
        Map<String, JsonNode> topics = new HashMap<>();
        for (JsonNode t : ofKind(objects, "KafkaTopic")) {
            String name = t.at("/spec/topicName").asText(t.at("/metadata/name").asText());
            assertTrue(topics.put(name, t) == null, "one KafkaTopic per topic: " + name);
        }
        return topics;
    }

    /** A service's incoming channels: topic (the channel name when not set) to group.id. */
    private static Map<String, String> incomingGroups(String service) {
        Properties p = appProperties.get(service);
        Map<String, String> groups = new HashMap<>();
        Pattern group = Pattern.compile("mp\\.messaging\\.incoming\\.([^.]+)\\.group\\.id");
        for (String key : p.stringPropertyNames()) {
            Matcher m = group.matcher(key);
            if (m.matches()) {
                String channel = m.group(1);
                groups.put(p.getProperty("mp.messaging.incoming." + channel + ".topic", channel), p.getProperty(key));
            }
        }
        assertFalse(groups.isEmpty(), service + " consumes Kafka in a consumer group");
        return groups;
    }
}
