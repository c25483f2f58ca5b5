from django.contrib import admin


class HistoryAdmin(admin.ModelAdmin):
    """History is read-only in the console: no add, change or delete."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
