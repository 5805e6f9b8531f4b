from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from portfolio.auth.passwords import MAX_LENGTH
from portfolio.auth.roles import ROLE_LABELS
from portfolio.forms import SpanishForm, select_choices


class LoginForm(SpanishForm):
    email = EmailField("Correo electrónico", validators=[DataRequired("Ingrese su correo."), Length(max=254)])
    password = PasswordField("Contraseña", validators=[DataRequired("Ingrese su contraseña."),
                                                       Length(max=MAX_LENGTH)])


class ChangePasswordForm(SpanishForm):
    current_password = PasswordField("Contraseña actual", validators=[DataRequired("Ingrese su contraseña actual.")])
    new_password = PasswordField("Nueva contraseña", validators=[DataRequired("Ingrese la nueva contraseña.")])
    confirm = PasswordField("Repita la nueva contraseña", validators=[DataRequired("Repita la nueva contraseña.")])

    def validate_confirm(self, field):
        from wtforms.validators import ValidationError

        if field.data != self.new_password.data:
            raise ValidationError("Las contraseñas no coinciden.")


class UserForm(SpanishForm):
    email = EmailField("Correo electrónico", validators=[DataRequired("Ingrese el correo."),
                                                         Email("Correo inválido."), Length(max=254)])
    name = StringField("Nombre completo", validators=[DataRequired("Ingrese el nombre."), Length(max=200)])
    role = SelectField("Rol", choices=select_choices(ROLE_LABELS), validators=[DataRequired("Seleccione un rol.")])
    company_id = SelectField("Empresa (solo para usuarios de empresa)", coerce=int, validators=[Optional()])
    active = BooleanField("Activo", default=True)
    password = PasswordField("Contraseña inicial", validators=[Optional(), Length(max=MAX_LENGTH)])


class ResetPasswordForm(SpanishForm):
    password = PasswordField("Nueva contraseña", validators=[DataRequired("Ingrese la nueva contraseña."),
                                                             Length(max=MAX_LENGTH)])
