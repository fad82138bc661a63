/**
 * Tokenizers, streaming detokenization and chat templates.
 *
 * <p>A model loader gets a {@link io.llmpipe.engine.tokenizer.Tokenizer} from
 * {@link io.llmpipe.engine.tokenizer.Tokenizers#fromGGUF} (SentencePiece BPE for Llama 2 style
 * vocabularies, byte-level BPE for Llama 3, Qwen2, SmolLM) or
 * {@link io.llmpipe.engine.tokenizer.Tokenizers#fromLlama2c} (llama2.c {@code tokenizer.bin}), checks
 * it against the model with {@link io.llmpipe.engine.tokenizer.Tokenizers#checkMatches}, and picks a
 * {@link io.llmpipe.engine.tokenizer.ChatTemplate} with {@code forModel} (GGUF) or
 * {@code forTokenizer}. Generated ids are turned into text for streaming by a
 * {@link io.llmpipe.engine.tokenizer.StreamingDecoder}; generation ends on any of
 * {@link io.llmpipe.engine.tokenizer.Tokenizer#stopTokenIds()}.
 *
 * <p>SentencePiece encoding reproduces llama2.c {@code run.c}; byte-level BPE and special-token
 * handling follow llama.cpp ({@code llama-vocab.cpp}). Everything here is immutable and thread-safe
 * except {@code StreamingDecoder}, which belongs to one sequence.
 */
package io.llmpipe.engine.tokenizer;
