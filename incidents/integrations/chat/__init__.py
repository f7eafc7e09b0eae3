"""Chat capture: Slack's `/incident` command and "Add to timeline" message shortcut, and a Mattermost slash
command. Every request is verified (Slack's signing secret and timestamp through `slack_sdk`'s
SignatureVerifier; Mattermost's command token), people are mapped by their verified email only, and a
restricted incident is never linked to or posted in a channel.
"""
