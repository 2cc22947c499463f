"""Python helpers shared by the integration tests, the demo and the
benchmarks: process control, the demo/test stack, a SIP-over-WebSocket
client. Standard library only."""
