'use strict';
// The chain form renders a fixed number of hop rows; show the filled ones and
// one or two empty ones, and reveal the next row on "Add a hop", or as soon as a
// source is chosen on the last row shown.
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
    // The sources are select2 widgets, whose changes only jQuery's listeners hear.
    const $ = window.django && window.django.jQuery;
    rows.forEach((row, i) => {
        const source = row.querySelector('select[name$="-source"]');
        if ($ && source) {
            $(source).on('change', () => {
                if (source.value && i === shown - 1 && shown < rows.length) {
                    shown += 1;
                    update();
                }
            });
        }
    });
    update();
});

// A claim from a document: a click on one of its sentences makes it the claim's quote
// and, unless the editor has written a text of their own, the claim's text. (Without
// JavaScript the sentence's link opens the form with it filled in.)
document.addEventListener('DOMContentLoaded', () => {
    const list = document.getElementById('document-sentences');
    const text = document.getElementById('id_text');
    const quote = document.getElementById('id_chain-quote');
    if (!list || !text || !quote) {
        return;
    }
    let picked = text.value;
    list.addEventListener('click', (event) => {
        const link = event.target.closest('a.sentence');
        if (!link) {
            return;
        }
        event.preventDefault();
        const sentence = link.textContent.trim();
        if (!text.value.trim() || text.value === picked) {
            text.value = sentence;
        }
        picked = sentence;
        quote.value = sentence;
        list.querySelectorAll('li.picked').forEach((li) => li.classList.remove('picked'));
        link.closest('li').classList.add('picked');
        text.focus({preventScroll: true});
    });
});

// After a refused save, the page opens on the first error, not at its top: scrolled to
// it and its field focused. On 'load', after the admin's own focus on the first field.
window.addEventListener('load', () => {
    const form = document.getElementById('claim_form');
    const errors = form && form.querySelector('ul.errorlist');
    if (!errors) {
        return;
    }
    const row = errors.closest('.form-row, tr, fieldset, section') || errors;
    // A hop's own errors sit in a row above the hop's fields.
    const rows = row.classList.contains('hop-errors') ? [row, row.nextElementSibling] : [row];
    const field = rows
        .flatMap((r) => Array.from(r.querySelectorAll('input:not([type=hidden]), select, textarea, .select2-selection')))
        .find((el) => el.offsetParent !== null && !el.classList.contains('select2-hidden-accessible'));
    row.scrollIntoView({block: 'center'});
    if (field) {
        field.focus({preventScroll: true});
    } else {
        errors.tabIndex = -1;
        errors.focus({preventScroll: true});
    }
});
