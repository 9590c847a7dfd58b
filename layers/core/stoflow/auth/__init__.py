"""Identity primitives without a web framework: keys, access tokens, passwords, principals.

WebSocket and worker functions verify tokens with stoflow.auth.tokens and never import FastAPI.
Nothing is imported here so that each caller pays only for what it uses."""
