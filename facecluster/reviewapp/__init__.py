"""`main.py review`: a local web app to name people, merge folders, move faces and undo, over ClusteredFaces/.

    app.py        the Flask app and its server: 127.0.0.1, a secret per start, the Host check
    views.py      pages and JSON answers; every change through output/clustered.py's operations
    model.py      what is shown, computed from the folders as they are (cached until they change)
    history.py    undo and redo, kept on disk (ClusteredFaces/.review-history.json)
    templates/, static/   the page, its script and style (no build step, nothing from the network)
"""
