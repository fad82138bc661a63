package io.llmpipe.protocol;

import java.util.Arrays;

/**
 * Argument checks for the records' compact constructors. Every failure is an
 * {@link IllegalArgumentException} whose message names the field, so a deserializer can pass it on as
 * the reason of a {@link MalformedRecordException}.
 */
final class Checks {

    private Checks() {
    }

    static void schemaVersion(int version, int newest, String type) {
        if (version < 1 || version > newest) {
            throw new IllegalArgumentException(
                    type + " schemaVersion must be in [1, " + newest + "], got " + version);
        }
    }

    static String requestId(String requestId) {
        return name(requestId, "requestId", ProtocolLimits.MAX_REQUEST_ID_CHARS);
    }

    /** A required, non-blank string of at most {@code maxChars}. */
    static String name(String value, String field, int maxChars) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " must not be empty");
        }
        if (value.length() > maxChars) {
            throw new IllegalArgumentException(
                    field + " must be at most " + maxChars + " chars, got " + value.length());
        }
        return value;
    }

    static String name(String value, String field) {
        return name(value, field, ProtocolLimits.MAX_NAME_CHARS);
    }

    /** An optional free text: null becomes "". */
    static String text(String value, String field) {
        if (value == null) {
            return "";
        }
        if (value.length() > ProtocolLimits.MAX_TEXT_CHARS) {
            throw new IllegalArgumentException(field + " must be at most " + ProtocolLimits.MAX_TEXT_CHARS
                    + " chars, got " + value.length());
        }
        return value;
    }

    static <T> T required(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + " is required");
        }
        return value;
    }

    static int atLeast(int value, int min, String field) {
        if (value < min) {
            throw new IllegalArgumentException(field + " must be >= " + min + ", got " + value);
        }
        return value;
    }

    static long atLeast(long value, long min, String field) {
        if (value < min) {
            throw new IllegalArgumentException(field + " must be >= " + min + ", got " + value);
        }
        return value;
    }

    /** A private copy of {@code ids}, each >= 0, at most {@code maxCount} of them. */
    static int[] tokenIds(int[] ids, String field, int maxCount) {
        required(ids, field);
        if (ids.length > maxCount) {
            throw new IllegalArgumentException(field + " holds at most " + maxCount + " ids, got " + ids.length);
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0) {
                throw new IllegalArgumentException(field + "[" + i + "] must be >= 0, got " + ids[i]);
            }
        }
        return ids.clone();
    }

    /** For toString: short arrays in full, long ones by their length (a prompt can be 100k ids). */
    static String brief(int[] ids) {
        return ids.length <= 16 ? Arrays.toString(ids) : "[" + ids.length + " ids]";
    }
}
