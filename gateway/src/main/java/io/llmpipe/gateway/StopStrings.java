package io.llmpipe.gateway;

import java.util.List;

/**
 * Finds OpenAI {@code stop} strings in streamed text. Text that might be the start of a stop
 * string is held back until the next piece decides, so a client never sees part of a stop string.
 * Not thread-safe: one per request.
 */
final class StopStrings {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopStrings(List<String> stops) {
        this.stops = stops;
    }

    /** Adds a piece; returns the text that may be shown now. After a stop string, {@link #stopped()} is true. */
    String accept(String piece) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return piece;
        }
        held.append(piece);
        int first = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        if (first >= 0) {
            stopped = true;
            String out = held.substring(0, first);
            held.setLength(0);
            return out;
        }
        int keep = 0;
        String text = held.toString();
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > keep; k--) {
                if (text.regionMatches(text.length() - k, s, 0, k)) {
                    keep = k;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** The end of the generation: whatever was held back is shown. */
    String finish() {
        String out = stopped ? "" : held.toString();
        held.setLength(0);
        return out;
    }

    boolean stopped() {
        return stopped;
    }
}
