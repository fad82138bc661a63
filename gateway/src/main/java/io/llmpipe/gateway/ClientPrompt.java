package io.llmpipe.gateway;

import io.llmpipe.engine.model.Model;
import io.llmpipe.engine.tokenizer.ChatMessage;
import io.llmpipe.engine.tokenizer.ChatTemplateException;
import io.llmpipe.service.ApiException;
import java.util.ArrayList;
import java.util.List;

/**
 * A prompt as the client sent it, before the chat template and tokenization: which text retrieval
 * searches with (the question), and how the prompt encodes once that text is rewritten with passages.
 * Immutable; any thread.
 */
sealed interface ClientPrompt {

    /** The text retrieval searches with, or null when there is none. */
    String question();

    /**
     * The prompt's token ids.
     *
     * @param question the text that replaces {@link #question()}, or null for the prompt as sent
     * @throws ApiException if the chat template rejects the conversation
     */
    int[] encode(Model model, String question);

    /** Chat messages; the question is the last user message. */
    record Chat(List<ChatMessage> messages) implements ClientPrompt {
        public Chat {
            messages = List.copyOf(messages);
        }

        private int questionIndex() {
            for (int i = messages.size() - 1; i >= 0; i--) {
                if (messages.get(i).role().equals("user")) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public String question() {
            int i = questionIndex();
            return i < 0 ? null : messages.get(i).content();
        }

        @Override
        public int[] encode(Model model, String question) {
            List<ChatMessage> chat = messages;
            if (question != null) {
                chat = new ArrayList<>(messages);
                chat.set(questionIndex(), new ChatMessage("user", question));
            }
            try {
                return model.chatTemplate().encode(chat, true);
            } catch (ChatTemplateException e) {
                throw ApiException.invalid("messages", "The chat template rejected the conversation: " + e.getMessage());
            }
        }
    }

    /** A completion's text prompt; the question is all of it. */
    record Text(String text) implements ClientPrompt {
        @Override
        public String question() {
            return text;
        }

        @Override
        public int[] encode(Model model, String question) {
            return model.tokenizer().encode(question != null ? question : text, true);
        }
    }

    /** A completion's prompt given as token ids: nothing to search with or rewrite. */
    record TokenIds(int[] ids) implements ClientPrompt {
        @Override
        public String question() {
            return null;
        }

        @Override
        public int[] encode(Model model, String question) {
            return ids.clone();
        }
    }
}
