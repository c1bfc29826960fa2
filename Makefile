# Smoke checks against running services (URLs from the environment; see docs/CLIP_QWEN_SMOKE.md).
.PHONY: smoke-clip jellyfin-qwen-smoke demo

# Asks the hi-rag gateway at HIRAG_URL for a query; fails with the reason unless CLIP reranked it.
smoke-clip:
	npm run smoke:clip

# Runs the audio processor on a probe item; fails unless a media_audio_analysis row was written.
jellyfin-qwen-smoke:
	npm run smoke:qwen

# The whole flow in one process, no services needed.
demo:
	npm run demo
