package io.llmpipe.engine.tokenizer;

/**
 * Chat templates of Llama 2, Llama 3, Llama 3.1, Qwen2, Qwen2.5, SmolLM2 and Mistral, reproduced
 * from the {@code chat_template} these models publish in tokenizer_config.json, and their renders
 * by Python Jinja2 3.1 run as transformers runs it (sandboxed, trim_blocks, lstrip_blocks), for the
 * conversations ONE, CHAT, NO_SYSTEM and TOOLS of {@link ChatTemplateTest}. A value starting
 * "RAISES: " is the template's raise_exception message.
 */
final class HfChatTemplates {
    private HfChatTemplates() {}

    static final String LLAMA3 =
            "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n"
            + "\n"
            + "'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "' }}{% endif %}";

    static final String LLAMA31 =
            "{{- bos_token }}\n"
            + "{%- if custom_tools is defined %}\n"
            + "    {%- set tools = custom_tools %}\n"
            + "{%- endif %}\n"
            + "{%- if not tools_in_user_message is defined %}\n"
            + "    {%- set tools_in_user_message = true %}\n"
            + "{%- endif %}\n"
            + "{%- if not date_string is defined %}\n"
            + "    {%- set date_string = \"26 Jul 2024\" %}\n"
            + "{%- endif %}\n"
            + "{%- if not tools is defined %}\n"
            + "    {%- set tools = none %}\n"
            + "{%- endif %}\n"
            + "\n"
            + "{#- This block extracts the system message, so we can slot it into the right place. #}\n"
            + "{%- if messages[0]['role'] == 'system' %}\n"
            + "    {%- set system_message = messages[0]['content']|trim %}\n"
            + "    {%- set messages = messages[1:] %}\n"
            + "{%- else %}\n"
            + "    {%- set system_message = \"\" %}\n"
            + "{%- endif %}\n"
            + "\n"
            + "{#- System message + builtin tools #}\n"
            + "{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n"
            + "{%- if builtin_tools is defined or tools is not none %}\n"
            + "    {{- \"Environment: ipython\\n\" }}\n"
            + "{%- endif %}\n"
            + "{%- if builtin_tools is defined %}\n"
            + "    {{- \"Tools: \" + builtin_tools | reject('equalto', 'code_interpreter') | join(\", \") + \"\\n\\n\"}}\n"
            + "{%- endif %}\n"
            + "{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n"
            + "{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n"
            + "{%- if tools is not none and not tools_in_user_message %}\n"
            + "    {{- \"You have access to the following functions. To call a function, please respond with JSON for a function call.\" }}\n"
            + "    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n"
            + "    {{- \"Do not use variables.\\n\\n\" }}\n"
            + "    {%- for t in tools %}\n"
            + "        {{- t | tojson(indent=4) }}\n"
            + "        {{- \"\\n\\n\" }}\n"
            + "    {%- endfor %}\n"
            + "{%- endif %}\n"
            + "{{- system_message }}\n"
            + "{{- \"<|eot_id|>\" }}\n"
            + "\n"
            + "{#- Custom tools are passed in a user message with some extra guidance #}\n"
            + "{%- if tools_in_user_message and not tools is none %}\n"
            + "    {#- Extract the first user message so we can plug it in here #}\n"
            + "    {%- if messages | length != 0 %}\n"
            + "        {%- set first_user_message = messages[0]['content']|trim %}\n"
            + "        {%- set messages = messages[1:] %}\n"
            + "    {%- else %}\n"
            + "        {{- raise_exception(\"Cannot put tools in the first user message when there's no first user message!\") }}\n"
            + "{%- endif %}\n"
            + "    {{- '<|start_header_id|>user<|end_header_id|>\\n\\n' -}}\n"
            + "    {{- \"Given the following functions, please respond with a JSON for a function call \" }}\n"
            + "    {{- \"with its proper arguments that best answers the given prompt.\\n\\n\" }}\n"
            + "    {{- 'Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.' }}\n"
            + "    {{- \"Do not use variables.\\n\\n\" }}\n"
            + "    {%- for t in tools %}\n"
            + "        {{- t | tojson(indent=4) }}\n"
            + "        {{- \"\\n\\n\" }}\n"
            + "    {%- endfor %}\n"
            + "    {{- first_user_message + \"<|eot_id|>\"}}\n"
            + "{%- endif %}\n"
            + "\n"
            + "{%- for message in messages %}\n"
            + "    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n"
            + "        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n"
            + "    {%- elif 'tool_calls' in message %}\n"
            + "        {%- if not message.tool_calls|length == 1 %}\n"
            + "            {{- raise_exception(\"This model only supports single tool-calls at once!\") }}\n"
            + "        {%- endif %}\n"
            + "        {%- set tool_call = message.tool_calls[0].function %}\n"
            + "        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n"
            + "        {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n"
            + "        {{- '\"parameters\": ' }}\n"
            + "        {{- tool_call.arguments | tojson }}\n"
            + "        {{- \"}\" }}\n"
            + "        {{- \"<|eot_id|>\" }}\n"
            + "    {%- elif message.role == \"tool\" or message.role == \"ipython\" %}\n"
            + "        {{- \"<|start_header_id|>ipython<|end_header_id|>\\n\\n\" }}\n"
            + "        {%- if message.content is mapping or message.content is iterable %}\n"
            + "            {{- message.content | tojson }}\n"
            + "        {%- else %}\n"
            + "            {{- message.content }}\n"
            + "        {%- endif %}\n"
            + "        {{- \"<|eot_id|>\" }}\n"
            + "    {%- endif %}\n"
            + "{%- endfor %}\n"
            + "{%- if add_generation_prompt %}\n"
            + "    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n"
            + "{%- endif %}\n";

    static final String QWEN2 =
            "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n"
            + "' + message['content'] + '<|im_end|>' + '\n"
            + "'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n"
            + "' }}{% endif %}";

    static final String QWEN25 =
            "{%- if tools %}\n"
            + "    {{- '<|im_start|>system\\n' }}\n"
            + "    {%- if messages[0]['role'] == 'system' %}\n"
            + "        {{- messages[0]['content'] }}\n"
            + "    {%- else %}\n"
            + "        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}\n"
            + "    {%- endif %}\n"
            + "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
            + "    {%- for tool in tools %}\n"
            + "        {{- \"\\n\" }}\n"
            + "        {{- tool | tojson }}\n"
            + "    {%- endfor %}\n"
            + "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n"
            + "{%- else %}\n"
            + "    {%- if messages[0]['role'] == 'system' %}\n"
            + "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
            + "    {%- else %}\n"
            + "        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n"
            + "    {%- endif %}\n"
            + "{%- endif %}\n"
            + "{%- for message in messages %}\n"
            + "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or (message.role == \"assistant\" and not message.tool_calls) %}\n"
            + "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
            + "    {%- elif message.role == \"assistant\" %}\n"
            + "        {{- '<|im_start|>' + message.role }}\n"
            + "        {%- if message.content %}\n"
            + "            {{- '\\n' + message.content }}\n"
            + "        {%- endif %}\n"
            + "        {%- for tool_call in message.tool_calls %}\n"
            + "            {%- if tool_call.function is defined %}\n"
            + "                {%- set tool_call = tool_call.function %}\n"
            + "            {%- endif %}\n"
            + "            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n"
            + "            {{- tool_call.name }}\n"
            + "            {{- '\", \"arguments\": ' }}\n"
            + "            {{- tool_call.arguments | tojson }}\n"
            + "            {{- '}\\n</tool_call>' }}\n"
            + "        {%- endfor %}\n"
            + "        {{- '<|im_end|>\\n' }}\n"
            + "    {%- elif message.role == \"tool\" %}\n"
            + "        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n"
            + "            {{- '<|im_start|>user' }}\n"
            + "        {%- endif %}\n"
            + "        {{- '\\n<tool_response>\\n' }}\n"
            + "        {{- message.content }}\n"
            + "        {{- '\\n</tool_response>' }}\n"
            + "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
            + "            {{- '<|im_end|>\\n' }}\n"
            + "        {%- endif %}\n"
            + "    {%- endif %}\n"
            + "{%- endfor %}\n"
            + "{%- if add_generation_prompt %}\n"
            + "    {{- '<|im_start|>assistant\\n' }}\n"
            + "{%- endif %}\n";

    static final String SMOLLM2 =
            "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n"
            + "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n"
            + "' + message['content'] + '<|im_end|>' + '\n"
            + "'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n"
            + "' }}{% endif %}";

    static final String LLAMA2 =
            "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    static final String MISTRAL =
            "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    // Expected renders: Python Jinja2 3.1 as transformers runs it (sandboxed, trim_blocks, lstrip_blocks).
    static final String LLAMA3_ONE =
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n";

    static final String LLAMA3_CHAT =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "{{ 7*7 }} and {% raw %}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n";

    static final String LLAMA3_NO_SYSTEM =
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Bye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n";

    static final String LLAMA3_NO_SYSTEM_NO_PROMPT =
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Bye<|eot_id|>";

    static final String LLAMA3_TOOLS =
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Weather?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Let me check.<|eot_id|><|start_header_id|>tool<|end_header_id|>\n"
            + "\n"
            + "r1<|eot_id|><|start_header_id|>tool<|end_header_id|>\n"
            + "\n"
            + "r2<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n";

    static final String LLAMA31_ONE =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "Cutting Knowledge Date: December 2023\n"
            + "Today Date: 26 Jul 2024\n"
            + "\n"
            + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n";

    static final String LLAMA31_CHAT =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "Cutting Knowledge Date: December 2023\n"
            + "Today Date: 26 Jul 2024\n"
            + "\n"
            + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "{{ 7*7 }} and {% raw %}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n";

    static final String LLAMA31_NO_SYSTEM =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "Cutting Knowledge Date: December 2023\n"
            + "Today Date: 26 Jul 2024\n"
            + "\n"
            + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Bye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n";

    static final String LLAMA31_NO_SYSTEM_NO_PROMPT =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "Cutting Knowledge Date: December 2023\n"
            + "Today Date: 26 Jul 2024\n"
            + "\n"
            + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Hello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Bye<|eot_id|>";

    static final String LLAMA31_TOOLS =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
            + "\n"
            + "Cutting Knowledge Date: December 2023\n"
            + "Today Date: 26 Jul 2024\n"
            + "\n"
            + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
            + "\n"
            + "Weather?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n"
            + "Let me check.<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n"
            + "\n"
            + "\"r1\"<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n"
            + "\n"
            + "\"r2\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
            + "\n";

    static final String QWEN2_ONE =
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hello<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String QWEN2_CHAT =
            "<|im_start|>system\n"
            + "Be brief.<|im_end|>\n"
            + "<|im_start|>user\n"
            + " Hi there <|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "{{ 7*7 }} and {% raw %}<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String QWEN2_NO_SYSTEM =
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Bye<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String QWEN2_NO_SYSTEM_NO_PROMPT =
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Bye<|im_end|>\n";

    static final String QWEN2_TOOLS =
            "<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Weather?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Let me check.<|im_end|>\n"
            + "<|im_start|>tool\n"
            + "r1<|im_end|>\n"
            + "<|im_start|>tool\n"
            + "r2<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String QWEN25_ONE =
            "<|im_start|>system\n"
            + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hello<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String QWEN25_CHAT =
            "<|im_start|>system\n"
            + "Be brief.<|im_end|>\n"
            + "<|im_start|>user\n"
            + " Hi there <|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "{{ 7*7 }} and {% raw %}<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String QWEN25_NO_SYSTEM =
            "<|im_start|>system\n"
            + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Bye<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String QWEN25_NO_SYSTEM_NO_PROMPT =
            "<|im_start|>system\n"
            + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Bye<|im_end|>\n";

    static final String QWEN25_TOOLS =
            "<|im_start|>system\n"
            + "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Weather?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Let me check.<|im_end|>\n"
            + "<|im_start|>user\n"
            + "<tool_response>\n"
            + "r1\n"
            + "</tool_response>\n"
            + "<tool_response>\n"
            + "r2\n"
            + "</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String SMOLLM2_ONE =
            "<|im_start|>system\n"
            + "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hello<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String SMOLLM2_CHAT =
            "<|im_start|>system\n"
            + "Be brief.<|im_end|>\n"
            + "<|im_start|>user\n"
            + " Hi there <|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "{{ 7*7 }} and {% raw %}<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String SMOLLM2_NO_SYSTEM =
            "<|im_start|>system\n"
            + "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Bye<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String SMOLLM2_NO_SYSTEM_NO_PROMPT =
            "<|im_start|>system\n"
            + "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Hi<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Hello!<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Bye<|im_end|>\n";

    static final String SMOLLM2_TOOLS =
            "<|im_start|>system\n"
            + "You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\n"
            + "Weather?<|im_end|>\n"
            + "<|im_start|>assistant\n"
            + "Let me check.<|im_end|>\n"
            + "<|im_start|>tool\n"
            + "r1<|im_end|>\n"
            + "<|im_start|>tool\n"
            + "r2<|im_end|>\n"
            + "<|im_start|>assistant\n";

    static final String LLAMA2_ONE =
            "<s>[INST] Hello [/INST]";

    static final String LLAMA2_CHAT =
            "<s>[INST] <<SYS>>\n"
            + "Be brief.\n"
            + "<</SYS>>\n"
            + "\n"
            + " Hi there [/INST] Hello! </s><s>[INST] {{ 7*7 }} and {% raw %} [/INST]";

    static final String LLAMA2_NO_SYSTEM =
            "<s>[INST] Hi [/INST] Hello! </s><s>[INST] Bye [/INST]";

    static final String LLAMA2_NO_SYSTEM_NO_PROMPT =
            "<s>[INST] Hi [/INST] Hello! </s><s>[INST] Bye [/INST]";

    static final String LLAMA2_TOOLS =
            "RAISES: Conversation roles must alternate user/assistant/user/assistant/...";

    static final String MISTRAL_ONE =
            "<s>[INST] Hello [/INST]";

    static final String MISTRAL_CHAT =
            "RAISES: Conversation roles must alternate user/assistant/user/assistant/...";

    static final String MISTRAL_NO_SYSTEM =
            "<s>[INST] Hi [/INST]Hello!</s>[INST] Bye [/INST]";

    static final String MISTRAL_NO_SYSTEM_NO_PROMPT =
            "<s>[INST] Hi [/INST]Hello!</s>[INST] Bye [/INST]";

    static final String MISTRAL_TOOLS =
            "RAISES: Conversation roles must alternate user/assistant/user/assistant/...";

}
