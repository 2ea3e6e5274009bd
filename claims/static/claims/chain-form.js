'use strict';
// The chain form renders a fixed number of hop rows; show the filled ones and
// one or two empty ones, and reveal the next row on "Add a hop".
document.addEventListener('DOMContentLoaded', () => {
    const form = document.getElementById('chain_form');
    if (!form) {
        return;
    }
    const rows = Array.from(form.querySelectorAll('tr.hop-row'));
    const button = form.querySelector('button.add-hop');
    const lastFilled = rows.reduce((last, row, i) => (row.dataset.filled === '1' ? i : last), -1);
    let shown = Math.max(2, lastFilled + 2);

    const update = () => {
        rows.forEach((row, i) => {
            row.hidden = i >= shown;
            const errors = row.previousElementSibling;
            if (errors && errors.classList.contains('hop-errors')) {
                errors.hidden = row.hidden;
            }
        });
        button.hidden = shown >= rows.length;
    };
    button.addEventListener('click', () => {
        shown += 1;
        update();
    });
    update();
});
