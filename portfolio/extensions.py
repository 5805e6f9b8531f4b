"""Flask extensions, created once and bound in create_app."""
from __future__ import annotations

from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
bootstrap = Bootstrap5()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Inicie sesión para continuar."
login_manager.login_message_category = "info"
login_manager.needs_refresh_message = "Vuelva a iniciar sesión para continuar."
login_manager.session_protection = "basic"
