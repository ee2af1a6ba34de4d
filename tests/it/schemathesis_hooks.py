# Loaded by schemathesis (SCHEMATHESIS_HOOKS) in tests/it/api_contract.rs: the plan upload is
# TOML, which schemathesis has no serializer for; TOML is text, so send it as text.
import schemathesis

schemathesis.serializer.alias("application/toml", "text/plain")
