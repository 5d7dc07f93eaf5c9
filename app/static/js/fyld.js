/* Behaviour that used to sit in inline event handlers (blocked by the Content-Security-Policy), and
 * FAB's widgets in Chinese.
 *   data-confirm="问题"      on a button or link: asks before submitting / following it
 *   data-navigate="/url?x="  on a select: goes to that URL + the chosen value when it changes
 *   form[data-confirm-empty="name"]: asks before saving with no box `name` ticked (role matrix)
 *   select.confirm-clear    : asks before the × of a multiple select clears every choice
 *   select[data-remote]     : a searchable select filled from a JSON endpoint (?q=&page=)
 */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("select[data-navigate]") && el.value) {
      window.location = el.getAttribute("data-navigate") + encodeURIComponent(el.value);
    }
  });

  // --- the role matrix: select a group, count, confirm before saving nothing ------------------
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest(".matrix-all, .matrix-none") : null;
    if (!link) { return; }
    event.preventDefault();
    var on = link.classList.contains("matrix-all");
    document.querySelectorAll("#" + link.getAttribute("data-group") + " input[type=checkbox]").forEach(function (box) {
      box.checked = on;
    });
    countMatrix();
  });
  function countMatrix() {
    var out = document.getElementById("matrix-count");
    if (out) { out.textContent = document.querySelectorAll("#role-matrix input[name=pv]:checked").length; }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("#role-matrix input[name=pv]")) { countMatrix(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var name = form.getAttribute && form.getAttribute("data-confirm-empty");
    if (!name) { return; }
    if (form.querySelectorAll("input[name='" + name + "']:checked").length) { return; }
    if (!window.confirm(form.getAttribute("data-confirm-empty-text"))) {
      event.preventDefault();
      return;
    }
    form.querySelector("input[name='" + form.getAttribute("data-confirm-empty-field") + "']").value = "1";
  }, true);

  // FAB's alert for a bulk action without a ticked row
  if (typeof window.ab_alert === "function") {
    var abAlert = window.ab_alert;
    window.ab_alert = function (text) { abAlert(text === "No row selected" ? "请先勾选要操作的记录" : text); };
  }

  if (typeof window.jQuery === "undefined") { return; }
  var $ = window.jQuery;

  // --- select2 in Chinese (FAB loads no language file) ------------------------------------------
  var zh = {
    errorLoading: function () { return "无法载入结果。"; },
    inputTooLong: function (a) { return "请删除" + (a.input.length - a.maximum) + "个字符"; },
    inputTooShort: function (a) { return "请再输入至少" + (a.minimum - a.input.length) + "个字符"; },
    loadingMore: function () { return "载入更多结果…"; },
    maximumSelected: function (a) { return "最多只能选择" + a.maximum + "个项目"; },
    noResults: function () { return "未找到结果"; },
    searching: function () { return "搜索中…"; },
    removeAllItems: function () { return "删除所有项目"; },
    removeItem: function () { return "删除项目"; }
  };
  if ($.fn.select2 && $.fn.select2.defaults) {
    $.fn.select2.defaults.set("language", zh);
  }

  // --- the date picker in Chinese, from our own files (no download) -----------------------------
  if ($.fn.datepicker && $.fn.datepicker.dates) {
    $.fn.datepicker.dates["zh-CN"] = {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      daysShort: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      daysMin: ["日", "一", "二", "三", "四", "五", "六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
      monthsShort: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
      today: "今天", clear: "清除", monthsTitle: "选择月份", format: "yyyy-mm-dd", titleFormat: "yyyy年mm月",
      weekStart: 1
    };
    $.fn.datepicker.defaults.language = "zh-CN";
    $.fn.datepicker.defaults.weekStart = 1;
    $.fn.datepicker.defaults.autoclose = true;
    $.fn.datepicker.defaults.todayHighlight = true;
  }

  function select2Options(el) {
    var $el = $(el);
    var blank = $el.find("option[value=''], option[value='__None']").length > 0;
    var options = {language: zh, theme: "bootstrap", width: "100%",
                   placeholder: $el.attr("data-placeholder") || "请选择（可输入文字搜索）",
                   allowClear: el.multiple || blank};
    var remote = $el.attr("data-remote");
    if (remote) {
      options.minimumInputLength = 0;
      options.ajax = {url: remote, dataType: "json", delay: 250,
                      data: function (p) { return {q: p.term || "", page: p.page || 1}; },
                      processResults: function (data) { return {results: data.results, pagination: {more: data.more}}; }};
    }
    return options;
  }

  $(function () {
    // After FAB's ab.js (which starts every .my_select2 in English with "Select a State"): again, in Chinese.
    $("select.my_select2, select[data-remote]").each(function () {
      var $el = $(this);
      if ($el.data("select2")) { $el.select2("destroy"); }
      $el.select2(select2Options(this));
    });
    // the search box has the focus as soon as a select opens
    $(document).on("select2:open", function () {
      var search = document.querySelector(".select2-container--open .select2-search__field");
      if (search) { search.focus(); }
    });
    // one click on × must not silently clear every choice of a long multiple select
    $(document).on("select2:clearing", "select.confirm-clear", function (event) {
      // select2 has already emptied the value here: count what it is about to clear
      var args = event.params && event.params.args;
      var n = args && args.data ? args.data.length : $(this).find("option:selected").length;
      if (n > 1 && !window.confirm("确定清空全部 " + n + " 项已选内容吗？清空后需保存才生效。")) {
        event.preventDefault();
      }
    });
  });
})();
