"""Thin views for personal dashboards: list and create, view, edit (rename, delete, add, remove,
move and resize charts), and the token refresh of the view page.

Every dashboard is found through ``personal.dashboard_for`` (the person's own, in the active
tenant, else 404). Editing is plain POST forms that redirect back to the editor; ``personal.js``
sends the same forms with ``Accept: application/json`` and gets JSON instead of a redirect.
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, TypedDict, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import pages, personal, themes
from .models import Chart, Dashboard, Tenant
from .views import _grid_response, _theme_cookie, token_response, with_tenant

def _width_label(width: int) -> str:
    return gettext("%(width)d of 12") % {"width": width}


# Lazy labels: the choices are made once, shown in each page's language.
WIDTH_CHOICES = [(n, lazy(_width_label, str)(n)) for n in range(1, 13)]


# --- Forms ----------------------------------------------------------------------------------------


class TitleForm(forms.Form):
    title = forms.CharField(label=_("Name"), max_length=200, strip=True)


class SizeForm(forms.Form):
    width = forms.TypedChoiceField(label=_("Width"), choices=WIDTH_CHOICES, coerce=int, initial=personal.DEFAULT_WIDTH)
    height = forms.IntegerField(
        label=_("Height"),
        required=False,
        min_value=personal.MIN_HEIGHT,
        max_value=personal.MAX_HEIGHT,
        help_text=_("Pixels; blank: the chart's own height."),
    )


class AddTileForm(SizeForm):
    chart = forms.ModelChoiceField(label=_("Chart"), queryset=Chart.objects.none(), empty_label=None)

    field_order = ["chart", "width", "height"]

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The server-side check: only charts the tenant sees are valid choices. (self.fields holds
        # copies of the declared fields, typed only as Field.)
        chart = cast(forms.ModelChoiceField, self.fields["chart"])
        chart.queryset = personal.available_charts(tenant)
        chart.label_from_instance = lambda obj: obj.title_in(get_language())  # type: ignore[method-assign]


class TileActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("up", "up"), ("down", "down"), ("remove", "remove"), ("resize", "resize")])


# --- Helpers --------------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _errors(form: forms.Form) -> dict[str, list[str]]:
    return {field: [str(e) for e in errors] for field, errors in form.errors.items()}


def _edit_url(board: Dashboard, tile_id: int | None = None) -> str:
    url = reverse("charts:personal_edit", args=[board.pk])
    return f"{url}#tile-{tile_id}" if tile_id else url


class SizeErrors(TypedDict):
    """One tile's refused size, shown under that tile."""

    tile: int
    errors: dict[str, list[str]]


def _editor(
    request: HttpRequest,
    tenant: Tenant,
    board: Dashboard,
    *,
    status: int = 200,
    rename_form: TitleForm | None = None,
    add_form: AddTileForm | None = None,
    size_errors: SizeErrors | None = None,
) -> HttpResponse:
    tiles = list(board.tiles.all())
    context = {
        "tenant": tenant,
        "dashboard": board,
        "tiles": [(tile, SizeForm(initial={"width": tile.width, "height": tile.height}, prefix=f"t{tile.pk}")) for tile in tiles],
        "rename_form": rename_form or TitleForm(initial={"title": board.title}),
        "add_form": add_form or AddTileForm(tenant=tenant),
        "size_errors": size_errors,
        "max_tiles": personal.MAX_TILES,
        "full": len(tiles) >= personal.MAX_TILES,
    }
    return render(request, "charts/personal/edit.html", context, status=status)


def _invalid(
    request: HttpRequest,
    tenant: Tenant,
    board: Dashboard,
    errors: dict[str, list[str]],
    *,
    rename_form: TitleForm | None = None,
    add_form: AddTileForm | None = None,
    size_errors: SizeErrors | None = None,
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"errors": errors}, status=400)
    return _editor(
        request, tenant, board, status=400, rename_form=rename_form, add_form=add_form, size_errors=size_errors
    )


def _done(request: HttpRequest, board: Dashboard, *, tile_id: int | None = None, **extra) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": True, **extra})
    return redirect(_edit_url(board, tile_id))


# --- List and create ------------------------------------------------------------------------------


@login_required
@require_GET
@with_tenant()
def personal_list(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    return _list(request, tenant, TitleForm())


def _list(request: HttpRequest, tenant: Tenant, form: TitleForm, *, status: int = 200) -> HttpResponse:
    context = {"tenant": tenant, "dashboards": personal.dashboards_of(request.user, tenant), "form": form}
    return render(request, "charts/personal/list.html", context, status=status)


@login_required
@require_POST
@with_tenant()
def personal_create(request: HttpRequest, tenant: Tenant) -> HttpResponse:
    form = TitleForm(request.POST)
    if not form.is_valid():
        return _list(request, tenant, form, status=400)
    try:
        board = personal.create_dashboard(request.user, tenant, form.cleaned_data["title"])
    except personal.LimitReached as exc:
        form.add_error(None, str(exc))
        return _list(request, tenant, form, status=400)
    return redirect("charts:personal_edit", board.pk)


# --- View and token refresh -----------------------------------------------------------------------


def _grid_context(
    request: HttpRequest, tenant: Tenant, board: Dashboard, *, query: Mapping | None = None, presentation: themes.Presentation | None = None
) -> dict:
    context = pages.dashboard_context(request, tenant=tenant, dashboard=board, query=query, presentation=presentation)
    # pages points the refresh at the shared dashboards' endpoint, which never serves this one.
    context["token_url"] = reverse("charts:personal_token", args=[board.pk])
    return context


@never_cache
@login_required
@require_GET
@with_tenant()
def personal_dashboard(request: HttpRequest, tenant: Tenant, pk: int) -> HttpResponse:
    board = personal.dashboard_for(request, pk)
    # The same filter bar and theme as a shared dashboard: ?date_from=, ?date_to=, ?theme=.
    presentation = themes.presentation_from(request.GET, default_theme=_theme_cookie(request))
    context = _grid_context(request, tenant, board, query=request.GET, presentation=presentation)
    return _grid_response(request, context, template="charts/personal/dashboard.html", embed=False)


@never_cache
@login_required
@require_GET
@with_tenant(json=True)
def personal_token(request: HttpRequest, tenant: Tenant, pk: int) -> JsonResponse:
    return token_response(
        request,
        partial(personal.dashboard_for, request, pk),
        lambda board: _grid_context(request, tenant, board),
        tenant=tenant,
        missing="dashboard",
    )


# --- Editing --------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
@with_tenant()
def personal_edit(request: HttpRequest, tenant: Tenant, pk: int) -> HttpResponse:
    return _editor(request, tenant, personal.dashboard_for(request, pk))


@login_required
@require_POST
@with_tenant()
def personal_rename(request: HttpRequest, tenant: Tenant, pk: int) -> HttpResponse:
    board = personal.dashboard_for(request, pk)
    form = TitleForm(request.POST)
    if not form.is_valid():
        return _invalid(request, tenant, board, _errors(form), rename_form=form)
    personal.rename(board, form.cleaned_data["title"])
    return _done(request, board, title=board.title)


@login_required
@require_POST
@with_tenant()
def personal_delete(request: HttpRequest, tenant: Tenant, pk: int) -> HttpResponse:
    board = personal.dashboard_for(request, pk)
    board.delete()
    if _wants_json(request):
        return JsonResponse({"ok": True})
    return redirect("charts:personal_list")


@login_required
@require_POST
@with_tenant()
def personal_add_tile(request: HttpRequest, tenant: Tenant, pk: int) -> HttpResponse:
    board = personal.dashboard_for(request, pk)
    form = AddTileForm(request.POST, tenant=tenant)
    if not form.is_valid():
        return _invalid(request, tenant, board, _errors(form), add_form=form)
    data = form.cleaned_data
    try:
        tile = personal.add_tile(board, data["chart"], width=data["width"], height=data["height"])
    except personal.LimitReached as exc:
        form.add_error(None, str(exc))
        return _invalid(request, tenant, board, _errors(form), add_form=form)
    return _done(request, board, tile_id=tile.pk, tile=tile.pk)


@login_required
@require_POST
@with_tenant()
def personal_tile(request: HttpRequest, tenant: Tenant, pk: int, tile_id: int) -> HttpResponse:
    """One tile's buttons: move up or down, remove, or resize (width and height fields)."""
    board = personal.dashboard_for(request, pk)
    tile = personal.tile_of(board, tile_id)
    action_form = TileActionForm(request.POST)
    if not action_form.is_valid():
        return _invalid(request, tenant, board, _errors(action_form))
    action = action_form.cleaned_data["action"]
    if action == "remove":
        personal.remove_tile(board, tile)
        return _done(request, board)
    if action in ("up", "down"):
        order = personal.move_tile(board, tile, -1 if action == "up" else 1)
        return _done(request, board, tile_id=tile.pk, order=order)
    size = SizeForm(request.POST, prefix=f"t{tile.pk}")
    if not size.is_valid():
        errors = _errors(size)
        return _invalid(request, tenant, board, errors, size_errors={"tile": tile.pk, "errors": errors})
    personal.resize_tile(tile, width=size.cleaned_data["width"], height=size.cleaned_data["height"])
    return _done(request, board, tile_id=tile.pk, width=tile.width, height=tile.height)


@login_required
@require_POST
@with_tenant()
def personal_order(request: HttpRequest, tenant: Tenant, pk: int) -> HttpResponse:
    """The whole order at once (``order=3,1,2``), as drag and drop sends it."""
    board = personal.dashboard_for(request, pk)
    try:
        ids = [int(part) for part in request.POST.get("order", "").split(",") if part.strip()]
        order = personal.reorder(board, ids)
    except ValueError:
        return _invalid(request, tenant, board, {"order": [str(_("Send every chart of the dashboard exactly once."))]})
    return _done(request, board, order=order)
