import { registry } from "@web/core/registry";

const card = ".o_kanban_record:contains(Online Bank)";

registry.category("web_tour.tours").add("account_online_synchronization_dashboard", {
    steps: () => [
        {
            content: "The card shows the synchronization error and its support reference",
            trigger: `${card} .o_online_sync_error:contains(Reference)`,
        },
        {
            content: "Synchronize now from the card",
            trigger: `${card} button.o_online_sync_now`,
            run: "click",
        },
        {
            content: "The synchronization worked",
            trigger: ".o_notification:contains(Synchronization done)",
        },
        {
            content: "The error is gone from the card",
            trigger: `${card}:not(:has(.o_online_sync_error)) button.o_online_sync_now`,
        },
    ],
});
