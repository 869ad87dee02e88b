"""Downloads: the policy first, then a short-lived presigned URL or a stream, always as an
attachment and never sniffed by the browser."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, send_file
from werkzeug.wrappers import Response

from grants.policy import SIGNED_IN, allow
from grants.services import documents
from grants.services.errors import NotFound, ServiceError

bp = Blueprint("documents", __name__)


@bp.get("/documents/<int:document_id>")
@allow(SIGNED_IN)
def download(document_id: int) -> Response | tuple[str, int]:
    try:
        found = documents.download_for(g.user, document_id)
        if found.url:
            return redirect(found.url)
        stream = documents.open_document(found.document)
    except NotFound:
        abort(404)
    except ServiceError as error:
        return render_template("documents/unavailable.html", message=error.message), 409
    response = send_file(
        stream,
        mimetype=found.document.content_type,
        as_attachment=True,
        download_name=found.document.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
