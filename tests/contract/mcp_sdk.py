"""Refine's /mcp driven by the official MCP Python SDK (`mcp` on PyPI), as an agent would.

Usage: mcp_sdk.py URL TOKEN REPO
Initialises a session over streamable HTTP, lists the tools (each with an output schema and
annotations), calls tools whose structured answers the SDK validates against those schemas, and
checks that a refused call is a tool error the agent can read. Exits non-zero on any failure.
"""

import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError


def check(cond, what):
    if not cond:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok - {what}")


async def main(url, token, repo):
    headers = {"Authorization": f"Bearer {token}", "X-Refine-Actor": "sdk-agent"}
    async with streamablehttp_client(f"{url}/mcp", headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            check(init.serverInfo.name == "refine", "initialize names the server")
            check(init.protocolVersion in ("2025-11-25", "2025-06-18"), f"negotiated {init.protocolVersion}")
            check(init.capabilities.tools is not None, "the server offers tools")
            await session.send_ping()

            tools = (await session.list_tools()).tools
            names = {t.name for t in tools}
            check({"apps_add", "apps_list", "goals_create", "goals_list"} <= names, "the registry's tools are listed")
            check("system_shutdown" not in names, "operations not meant for agents are not listed")
            check(all(t.outputSchema and t.outputSchema.get("type") == "object" for t in tools), "every tool has an object output schema")
            check(all(t.annotations is not None for t in tools), "every tool has annotations")
            by = {t.name: t for t in tools}
            check(by["apps_list"].annotations.readOnlyHint is True, "a query is read-only")
            check(by["workflow_cancel"].annotations.destructiveHint is True, "cancelling is destructive")
            check(by["goals_create"].annotations.destructiveHint is False, "creating a Goal only adds")

            # The SDK validates each structured answer against the tool's output schema.
            added = await session.call_tool("apps_add", {"path": repo})
            check(not added.isError, f"apps_add succeeds: {added.content[0].text if added.isError else ''}")
            app = added.structuredContent
            check(app["path"] == repo, "apps_add answers the app")
            await session.call_tool("apps_select", {"id": app["id"]})
            goal = await session.call_tool("goals_create", {"title": "Written by an agent", "prompt": "Say hello."})
            check(not goal.isError and goal.structuredContent["number"] == 1, "goals_create creates Goal #1")
            listed = await session.call_tool("goals_list", {})
            items = listed.structuredContent["items"]
            check([g["title"] for g in items] == ["Written by an agent"], "goals_list lists it")
            check(json.loads(listed.content[0].text) == listed.structuredContent, "the text block is the structured content")
            apps = await session.call_tool("apps_list", {})
            check(apps.structuredContent["value"][0]["id"] == app["id"], "a list answer is wrapped as {value: [...]}")
            check(json.loads(apps.content[0].text) == apps.structuredContent, "…and its text block says the same")
            info = await session.call_tool("system_info", {})
            check(info.structuredContent["apiVersion"], "system_info answers the contract version")

            refused = await session.call_tool("goals_get", {"id": "#99"})
            check(refused.isError and "not_found" in refused.content[0].text, "a refused call is a readable tool error")
            bad = await session.call_tool("goals_create", {"title": ""})
            check(bad.isError and "invalid_input" in bad.content[0].text, "bad input is a readable tool error")
            try:
                await session.call_tool("no_such_tool", {})
                check(False, "an unknown tool is a protocol error")
            except McpError as e:
                check("unknown tool" in str(e), "an unknown tool is a protocol error")

            activity = await session.call_tool("activity_list", {"surface": "mcp"})
            actors = {a["actor"] for a in activity.structuredContent["items"]}
            check(actors == {"sdk-agent"}, f"the audit log names the agent: {actors}")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
