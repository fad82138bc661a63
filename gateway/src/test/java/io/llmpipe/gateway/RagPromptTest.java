package io.llmpipe.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.model.ModelLoader;
import io.llmpipe.engine.tokenizer.ChatMessage;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Template filling and which passages fit a budget: with a word count, then with stories260K's chat template and 512-token context. */
class RagPromptTest {
    private static final ToIntFunction<String> WORDS = text -> text.split("\\s+").length;
    private static Model model;

    @BeforeAll
    static void load() {
        Path models = Path.of(System.getProperty("llmpipe.shared.dir"), "models");
        model = ModelLoader.load(new ModelLoader.Options(models.resolve("stories260K.bin"), models.resolve("tok512.bin"), 512));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Passage passage(String id, String text) {
        return new Passage(id, id.substring(0, id.indexOf('#')), 0.5, text);
    }

    @Test
    void fillsBothPlaceholdersAndNumbersThePassages() {
        RagPrompt rag = new RagPrompt("Context:\n{passages}\nQ: {question} (again: {question})");
        assertEquals("Context:\n[1] Cats purr.\n\n[2] Dogs bark.\nQ: Who purrs? (again: Who purrs?)",
                rag.render("Who purrs?", List.of(passage("a#0", "Cats purr."), passage("b#3", "Dogs bark."))));
    }

    @Test
    void placeholdersInsidePassagesOrTheQuestionStayAsWritten() {
        RagPrompt rag = new RagPrompt(RagPrompt.DEFAULT_TEMPLATE);
        assertEquals("Use these passages to answer.\n\n[1] a {question} $1 \\ b\n\nQuestion: why {passages}?",
                rag.render("why {passages}?", List.of(passage("a#0", "a {question} $1 \\ b"))));
    }

    @Test
    void aTemplateWithoutBothPlaceholdersIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RagPrompt("{question}"));
        assertThrows(IllegalArgumentException.class, () -> new RagPrompt("{passages}"));
    }

    @Test
    void takesTheBestPassagesWhileTheyFitAndStopsAtTheFirstThatDoesNot() {
        RagPrompt rag = new RagPrompt("{passages} Q: {question}");
        List<Passage> ranked = List.of(passage("a#0", "one two"), passage("b#0", "three four five six"), passage("c#0", "x"));
        // in words: "[1] one two Q: why" 5; with the second 10; with the third 12
        RagPrompt.Assembly none = rag.assemble("why", ranked, WORDS, 4);
        assertEquals("why", none.text());
        assertEquals(List.of(), none.used());

        // the third after the first would make 7, but the second comes before it and does not fit: the top ones only
        RagPrompt.Assembly first = rag.assemble("why", ranked, WORDS, 9);
        assertEquals("[1] one two Q: why", first.text());
        assertEquals(List.of(ranked.get(0)), first.used());

        assertEquals(ranked.subList(0, 2), rag.assemble("why", ranked, WORDS, 10).used());
        assertEquals(ranked.subList(0, 2), rag.assemble("why", ranked, WORDS, 11).used());
        RagPrompt.Assembly all = rag.assemble("why", ranked, WORDS, 100);
        assertEquals(ranked, all.used());
        assertEquals("[1] one two\n\n[2] three four five six\n\n[3] x Q: why", all.text());
        assertEquals(List.of(), rag.assemble("why", List.of(), WORDS, 100).used());
    }

    @Test
    void passagesFillStories260KsContextUpToTheBudgetOfTheWholeChatPrompt() {
        ClientPrompt prompt = new ClientPrompt.Chat(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Where did Lily go?"),
                ChatMessage.assistant("To the park."), ChatMessage.user("What did she see there?")));
        assertEquals("What did she see there?", prompt.question());
        String story = "Lily went to the park with her mom. She saw a big dog and a red ball. The dog ran and ran. ";
        List<Passage> ranked = java.util.stream.IntStream.range(0, 20).mapToObj(i -> passage("s" + i + "#0", story)).toList();
        RagPrompt rag = new RagPrompt(RagPrompt.DEFAULT_TEMPLATE);
        int maxTokens = 100;
        int budget = model.config().contextLength() - maxTokens;
        RagPrompt.Assembly a = rag.assemble(prompt.question(), ranked, text -> prompt.encode(model, text).length, budget);

        int used = a.used().size();
        int tokens = prompt.encode(model, a.text()).length;
        int withOneMore = prompt.encode(model, rag.render(prompt.question(), ranked.subList(0, used + 1))).length;
        assertTrue(used > 0 && used < ranked.size(), "used " + used);
        assertTrue(tokens <= budget && withOneMore > budget, tokens + " / " + withOneMore + " / " + budget);
        assertTrue(tokens > prompt.encode(model, null).length);
    }
}
