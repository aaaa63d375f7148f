"""The Alexa adapters: builder, handlers, interceptors, persistence, reminders, verification."""
