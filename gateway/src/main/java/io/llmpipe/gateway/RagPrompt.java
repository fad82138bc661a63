package io.llmpipe.gateway;

import java.util.List;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Puts retrieved passages and the question into a prompt template, as many passages as fit a token
 * budget. Passages go in best first and whole: the first one that would overflow the budget ends the
 * list, so the passages used are always the top ones of the search. Pure and immutable: any thread.
 */
final class RagPrompt {
    static final String PASSAGES = "{passages}";
    static final String QUESTION = "{question}";
    static final String DEFAULT_TEMPLATE = "Use these passages to answer.\n\n" + PASSAGES + "\n\nQuestion: " + QUESTION;
    private static final Pattern PLACEHOLDER = Pattern.compile(Pattern.quote(PASSAGES) + "|" + Pattern.quote(QUESTION));

    /** What goes in place of the question, and the passages it holds. */
    record Assembly(String text, List<Passage> used) {
    }

    private final String template;

    /** @throws IllegalArgumentException if the template lacks {@value #PASSAGES} or {@value #QUESTION} */
    RagPrompt(String template) {
        if (!template.contains(PASSAGES) || !template.contains(QUESTION)) {
            throw new IllegalArgumentException("A retrieval prompt template needs both " + PASSAGES + " and " + QUESTION
                    + ": '" + template + "'");
        }
        this.template = template;
    }

    /** The template filled in one pass (so a placeholder inside a passage or the question stays as written); passages as "[n] text". */
    String render(String question, List<Passage> passages) {
        StringBuilder numbered = new StringBuilder();
        for (int i = 0; i < passages.size(); i++) {
            if (i > 0) {
                numbered.append("\n\n");
            }
            numbered.append('[').append(i + 1).append("] ").append(passages.get(i).text());
        }
        String passagesText = numbered.toString();
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + question.length() + passagesText.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group().equals(PASSAGES) ? passagesText : question));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * The longest best-first run of {@code ranked} whose rendering keeps the whole prompt within
     * {@code budget} tokens. When not even the first passage fits (or none was found) the question
     * stays as the client wrote it, without the template.
     *
     * @param promptTokens the whole prompt's length in tokens when the question is replaced by a text
     */
    Assembly assemble(String question, List<Passage> ranked, ToIntFunction<String> promptTokens, int budget) {
        String text = question;
        int used = 0;
        for (int n = 1; n <= ranked.size(); n++) {
            String candidate = render(question, ranked.subList(0, n));
            if (promptTokens.applyAsInt(candidate) > budget) {
                break;
            }
            text = candidate;
            used = n;
        }
        return new Assembly(text, List.copyOf(ranked.subList(0, used)));
    }
}
