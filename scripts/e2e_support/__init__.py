"""Run the integration for real: the simulator and Home Assistant as processes.

Shared by ``scripts/demo`` and the end-to-end tests in ``tests/e2e``:
``processes`` starts and stops the two servers, ``ha_api`` drives Home
Assistant through its REST and WebSocket APIs the way a user's script would.
"""
