-- 002: the speech transcript of each analysis ({ text, language, segments: [{ start, end, text }],
-- confidence, confidenceSource, scope }; see @pmoves/qwen-audio's README). Additive and idempotent:
-- safe to run on every start; rows written before it keep every value and read transcript = null.
alter table media_audio_analysis add column if not exists transcript jsonb;
