"""Speech in (Whisper) and speech out (TTS) for the avatar. Not built yet: see the voice issue.

The packaged Whisper base model is already provisioned by ``modelpacks`` (``models prepare``).
"""
