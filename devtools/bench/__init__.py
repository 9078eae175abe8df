"""The benchmark behind `make bench` (scripts/bench.py): every figure against real simulated servers
on loopback, in the bpy module and in the real Blender program, each beside the reference it is
compared with, measured in the same run and interleaved with it.

    report.py    figures, their summaries, ratios and targets; the table, the JSON, --compare
    servers.py   simulated Director servers for a run (test controls on)
    client.py    the client's figures against bare gradio_client (connect, first progress, one job,
                 server overhead, the 500 MB download, jobs per minute)
    in_bpy.py    run by a bpy venv's Python: the tick, inserts, sockets on the main thread, completion
                 to strip
    enable.py    run by a bpy venv's Python: one enable of the add-on (a fresh process per sample)
    program.py   the real Blender program's start-up with and without the extension
    engine.py    run by the server's Python: the simulated engine's own time, without the server
"""
