from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class TicketForm(FlaskForm):
    subject = StringField("Subject", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Description", validators=[DataRequired()])
    priority = SelectField("Priority", choices=[("low", "Low"), ("normal", "Normal"), ("high", "High")])


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired(), Length(max=5000)])


class ExportForm(FlaskForm):
    filename = StringField("File name", validators=[DataRequired(), Length(max=80)])
    fmt = SelectField("Format", choices=[("csv", "CSV"), ("json", "JSON")])
