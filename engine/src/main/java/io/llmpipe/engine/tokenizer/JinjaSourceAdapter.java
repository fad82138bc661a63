package io.llmpipe.engine.tokenizer;

import java.util.Map;

/**
 * Adapts Hugging Face chat-template source (Python Jinja2) to Jinjava. Jinja2 drops one trailing
 * newline of a template, Jinjava keeps it; and templates call Python string methods that Java
 * strings lack, so inside {@code {{ }}} and {@code {% %}} those calls are renamed to their Java
 * equivalents ({@code .strip()} needs nothing: Java has it). Stateless.
 */
final class JinjaSourceAdapter {
    private static final Map<String, String> PYTHON_TO_JAVA = Map.of(
            ".startswith(", ".startsWith(",
            ".endswith(", ".endsWith(",
            ".lstrip()", ".stripLeading()",
            ".rstrip()", ".stripTrailing()",
            ".upper()", ".toUpperCase()",
            ".lower()", ".toLowerCase()");

    private JinjaSourceAdapter() {}

    static String adapt(String source) {
        String text = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
        StringBuilder out = new StringBuilder(text.length() + 16);
        int i = 0;
        while (i < text.length()) {
            int open = nextTagStart(text, i);
            if (open < 0) {
                out.append(text, i, text.length());
                break;
            }
            String close = text.charAt(open + 1) == '{' ? "}}" : "%}";
            int end = text.indexOf(close, open + 2);
            end = end < 0 ? text.length() : end + 2;
            out.append(text, i, open).append(renameMethods(text.substring(open, end)));
            i = end;
        }
        return out.toString();
    }

    private static int nextTagStart(String text, int from) {
        int expression = text.indexOf("{{", from);
        int statement = text.indexOf("{%", from);
        if (expression < 0) {
            return statement;
        }
        return statement < 0 ? expression : Math.min(expression, statement);
    }

    private static String renameMethods(String tag) {
        String result = tag;
        for (Map.Entry<String, String> e : PYTHON_TO_JAVA.entrySet()) {
            result = result.replace(e.getKey(), e.getValue());
        }
        return result;
    }
}
