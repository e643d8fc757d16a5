"""User management pages (admins): people, their roles and teams, and their API tokens. Every
change goes through accounts.services, which records it in the audit log."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts import selectors, services
from closedloop.accounts.access import requires
from closedloop.accounts.forms import TokenCreateForm, UserChangeForm, UserCreateForm
from closedloop.accounts.models import ApiToken, User
from closedloop.accounts.roles import Permission


@requires(Permission.MANAGE_USERS)
def user_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/user_list.html", {"users": selectors.user_list()})


@requires(Permission.MANAGE_USERS)
def user_new(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                password=data["password"],
                role=data["role"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                team=data["team"],
                manager=data["manager"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Created {user.username}.")
            return redirect("user_detail", user_id=user.pk)
    return render(request, "accounts/user_new.html", {"form": form})


def _detail(request: HttpRequest, user: User, **extra: object) -> HttpResponse:
    context = {
        "person": user,
        "form": extra.pop("form", None)
        or UserChangeForm(initial={"role": user.role, "team": user.team, "manager": user.manager}),
        "token_form": extra.pop("token_form", None)
        or TokenCreateForm(allowed=services.scopes_for_user(user)),
        "tokens": selectors.user_token_list(user=user),
        **extra,
    }
    return render(request, "accounts/user_detail.html", context)


@requires(Permission.MANAGE_USERS)
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    if request.method != "POST":
        return _detail(request, user)
    form = UserChangeForm(request.POST)
    if form.is_valid():
        try:
            services.user_change(
                user=user,
                actor=request.user,  # type: ignore[arg-type]
                role=form.cleaned_data["role"],
                team=form.cleaned_data["team"],
                manager=form.cleaned_data["manager"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Saved {user.username}.")
            return redirect("user_detail", user_id=user.pk)
    return _detail(request, user, form=form)


def _set_active(request: HttpRequest, user_id: int, *, active: bool) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    change = services.user_reactivate if active else services.user_deactivate
    try:
        change(user=user, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        for msgs in exc.message_dict.values():
            for msg in msgs:
                messages.error(request, msg)
    else:
        messages.success(request, f"{'Reactivated' if active else 'Deactivated'} {user.username}.")
    return redirect("user_detail", user_id=user.pk)


@requires(Permission.MANAGE_USERS)
@require_POST
def user_deactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _set_active(request, user_id, active=False)


@requires(Permission.MANAGE_USERS)
@require_POST
def user_reactivate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _set_active(request, user_id, active=True)


@requires(Permission.MANAGE_USERS)
@require_POST
def token_new(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    form = TokenCreateForm(request.POST, allowed=services.scopes_for_user(user))
    if form.is_valid():
        try:
            token, raw = services.api_token_create(
                user=user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            # The secret is shown on this response only; it is stored as a digest.
            return _detail(request, user, new_token=token, new_secret=raw)
    return _detail(request, user, token_form=form)


@requires(Permission.MANAGE_USERS)
@require_POST
def token_revoke(request: HttpRequest, user_id: int, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user_id=user_id)
    try:
        services.api_token_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Revoked token {token.name}.")
    return redirect("user_detail", user_id=user_id)
