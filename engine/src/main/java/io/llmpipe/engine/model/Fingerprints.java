package io.llmpipe.engine.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A short stable identity for a model: its shapes plus a hash of the file's first megabyte and size. */
final class Fingerprints {
    private Fingerprints() {
    }

    static String of(String format, ModelConfig c, MemorySegment head, long fileSize) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((format + ":" + c.architecture() + ":" + c.dim() + ":" + c.hiddenDim() + ":" + c.layers() + ":" + c.heads()
                    + ":" + c.kvHeads() + ":" + c.headSize() + ":" + c.vocabularySize() + ":" + fileSize).getBytes());
            md.update(head.toArray(ValueLayout.JAVA_BYTE));
            return HexFormat.of().formatHex(md.digest(), 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
