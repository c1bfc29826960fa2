// The transcription call's prompt and how its reply is read. Qwen2-Audio documents two ways to ask:
// the Instruct (chat) model takes the audio with a question such as "What does the person say?";
// the base model is prompted "Detect the language and recognize the speech:" and answers with a
// language tag (`<|en|>`) before the words.
import { normalizeLanguage } from '../adapter/reply';

/** How the transcription is asked for: `chat` (Qwen2-Audio-7B-Instruct) or `asr` (the base model). */
export type TranscriptPrompt = 'chat' | 'asr';

/** System instruction of chat-style transcription calls. */
export const TRANSCRIBE_SYSTEM_PROMPT =
  'You are a speech recognizer. You write down exactly the words spoken in the attached audio, in the ' +
  'language they are spoken in, and nothing else.';

/** The user text of a transcription call. */
export function transcribePrompt(style: TranscriptPrompt): string {
  return style === 'asr'
    ? 'Detect the language and recognize the speech:'
    : 'What does the person say? Reply with the exact words spoken, verbatim, and nothing else; reply with an empty message if nobody speaks.';
}

/** `asr` for the base Qwen2-Audio model (an id without "instruct" or "chat"), else `chat`. */
export function defaultTranscriptPrompt(model: string): TranscriptPrompt {
  return /qwen2?-audio/i.test(model) && !/instruct|chat|gguf/i.test(model) ? 'asr' : 'chat';
}

const NO_SPEECH =
  /^[([]?\s*(no speech|silence|nobody (speaks|is speaking)|there is no (speech|one speaking|spoken)|no one (speaks|is speaking)|(the audio|it) (contains|has) no speech|i (can(no|')t|do not|don't) hear)/i;
const QUOTED = /^["“'‘](.+)["”'’]\.?$/;
const WRAPPER =
  /^(the (person|speaker|man|woman|voice|narrator)|they|he|she)\s+(says?|said|is saying|speaks?)\s*(,|:)?\s*(in \w+\s*(,|:)\s*)?/i;

/** What a transcription reply says: the words (empty for no speech) and a language tag if it gave one. */
export function readTranscriptReply(text: string): { text: string; language: string | null } {
  let t = text.trim();
  let language: string | null = null;
  // Base-model replies: "<|en|>words"; strip every special token, keep the first language one.
  t = t.replace(/<\|([^|>]*)\|>/g, (_m, tag: string) => {
    language ??= normalizeLanguage(tag);
    return ' ';
  });
  t = t.replace(/\s+/g, ' ').trim();
  if (NO_SPEECH.test(t)) return { text: '', language };
  // 'The person says: "…"' — the words are the quotation. Unquoted text is kept whole: it may
  // itself begin "He says".
  const wrapper = WRAPPER.exec(t);
  const quoted = QUOTED.exec(wrapper ? t.slice(wrapper[0].length) : t);
  if (quoted) t = quoted[1]!.trim();
  return { text: t, language };
}
